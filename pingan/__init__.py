"""平安驾驶舱: warehouse, queries and presentation helpers for the Ping'an leadership dashboard."""
