-- expect: ServerInfoRefused
-- message: SHOW temp_directory
show temp_directory
