from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from common.sqlite_files import restrict_on_connect

        connection_created.connect(restrict_on_connect, dispatch_uid="common.sqlite_files")
