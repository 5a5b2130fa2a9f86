import base64
import os
import urllib.request

KEY = os.environ["GREENHOUSE_KEY"]
BASE = "https://harvest.greenhouse.io/v1"


def fetch(path):
    req = urllib.request.Request(BASE + path)
    req.add_header("Authorization", "Basic %s" % base64.b64encode(("%s:" % KEY).encode()).decode())
    return urllib.request.urlopen(req).read()


def offices():
    return fetch("/offices")


def job_openings(job_id):
    return fetch("/jobs/%s/openings" % job_id)
