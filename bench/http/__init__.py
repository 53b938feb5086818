"""Helpers of the HTTP benchmark (``bench.http_bench``): the services it starts, the load
generator and the webhook receiver it runs in processes of their own, and the profiler."""
