-- expect: FileAccessRefused
-- message: /root/.ssh/id_rsa
select content from read_blob('/root/.ssh/id_rsa')
