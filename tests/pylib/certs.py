# SPDX-License-Identifier: Apache-2.0
"""Certificates made with the openssl command line for TLS tests: a CA, server and client
certificates signed by it, and others signed by a second CA. Everything for 127.0.0.1."""
import os
import subprocess


def _run(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_ca(d, name):
    key, crt = os.path.join(d, f"{name}.key"), os.path.join(d, f"{name}.crt")
    _run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days", "2",
         "-subj", f"/CN={name}")
    return key, crt


def make_cert(d, name, ca, days=2, server=True):
    """A certificate for 127.0.0.1 / localhost signed by ca = (key, crt); returns (key, crt)."""
    key, csr, crt = (os.path.join(d, f"{name}.{x}") for x in ("key", "csr", "crt"))
    ext = os.path.join(d, f"{name}.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        f.write(f"extendedKeyUsage={'serverAuth' if server else 'clientAuth'}\n")
    _run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", f"/CN={name}")
    _run("x509", "-req", "-in", csr, "-CA", ca[1], "-CAkey", ca[0], "-CAcreateserial", "-out", crt,
         "-days", str(days), "-extfile", ext)
    return key, crt


def serial(crt_path):
    out = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in", crt_path], check=True,
                         capture_output=True, text=True).stdout
    return out.strip().split("=", 1)[1].lower()


def make_expired_cert(d, name, ca):
    """A server certificate for 127.0.0.1 / localhost that expired in 2020 (openssl ca
    can set both dates; openssl x509 in OpenSSL 3.0 cannot)."""
    key, csr, crt = (os.path.join(d, f"{name}.{x}") for x in ("key", "csr", "crt"))
    db, serial_file, cnf = (os.path.join(d, f"{name}-ca.{x}") for x in ("index", "serial", "cnf"))
    open(db, "w").close()
    with open(serial_file, "w") as f:
        f.write("01\n")
    with open(cnf, "w") as f:
        f.write(f"[ca]\ndefault_ca = d\n[d]\ndatabase = {db}\nnew_certs_dir = {d}\nserial = {serial_file}\n"
                "default_md = sha256\npolicy = p\ncopy_extensions = copy\n[p]\ncommonName = supplied\n")
    _run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", f"/CN={name}",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost")
    _run("ca", "-batch", "-config", cnf, "-cert", ca[1], "-keyfile", ca[0], "-in", csr, "-out", crt,
         "-startdate", "20200101000000Z", "-enddate", "20200102000000Z")
    return key, crt
