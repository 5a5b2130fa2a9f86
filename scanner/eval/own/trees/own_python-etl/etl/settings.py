import os

GREENHOUSE_API_KEY = os.environ.get("GREENHOUSE_API_KEY", "")
HARVEST_API = os.environ.get("HARVEST_API", "https://harvest.greenhouse.io/v1")
PAGE_SIZE = 500
