"""Settings modules.

- ``embedded``: the default of ``make run`` (SQLite, a private redis-server as broker, DEBUG on).
- ``production``: Docker and real deployments (refuses an unsafe configuration).
- ``test``: pytest.
"""
