"""The Gloam chain engine, modelled on the Dusk protocol (DESIGN.md, Chain decisions).

Pure Python: never imports Django, Celery, DRF or the apps (enforced by import-linter).
The apps reach it only through ``chain.node.client``. Built from issue 3 on.
"""
