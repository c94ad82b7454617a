"""Settings modules.

- ``embedded``: the default of ``make run`` (SQLite, filesystem broker, DEBUG on).
- ``production``: Docker and real deployments (refuses an unsafe configuration).
- ``test``: pytest.
"""
