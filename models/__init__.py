"""Tables and migrations. Importing this package points Piccolo at our config."""

import os

os.environ.setdefault("PICCOLO_CONF", "models.piccolo_conf")
