"""Prepares an HTTP request with requests (no network) and reads certifi's CA bundle.

certifi.where() names a file; inside a pyingot executable the bundle is read
through importlib.resources, from memory.
"""

import importlib.resources
import json
import ssl

import certifi
import requests


def main() -> int:
    prepared = requests.Request(
        "POST", "https://example.org/api", params={"q": "ingot"}, json={"a": 1}
    ).prepare()
    bundle = importlib.resources.files("certifi").joinpath("cacert.pem").read_text()
    # OpenSSL reads the bundle through the path certifi.where() gives.
    context = ssl.create_default_context(cafile=certifi.where())
    print(json.dumps({
        "method": prepared.method,
        "url": prepared.url,
        "body": prepared.body.decode(),
        "content_type": prepared.headers["Content-Type"],
        "certificates": bundle.count("BEGIN CERTIFICATE"),
        "certifi_where": certifi.where(),
        "ssl_ca_loaded": context.cert_store_stats()["x509_ca"],
        "requests": requests.__version__,
    }))
    return 0
