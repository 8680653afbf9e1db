#!/bin/sh
# make_certs.sh DIR - a throwaway test PKI in DIR: ca.pem/ca.key (trusted by
# the tests), server.pem/server.key (CN localhost, SAN DNS:localhost and
# IP:127.0.0.1, signed by ca), other_ca.pem (a CA nobody signed with).
# EC P-256 keys: fast to make.
set -eu
d=$1
mkdir -p "$d"
cd "$d"
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=vigil test CA" -keyout ca.key -out ca.pem
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=other test CA" -keyout other_ca.key -out other_ca.pem
q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=localhost" -keyout server.key -out server.csr
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > ext.cnf
q openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile ext.cnf -out server.pem
test -s server.pem
