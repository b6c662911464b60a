#!/bin/sh
# Makes the TLS test certificates in folder $1 at test time (never checked
# in): a CA, a server certificate for 127.0.0.1/localhost and a client
# certificate, EC P-256, valid for two days.
set -eu
out=$1
mkdir -p "$out"
cd "$out"
days=2
openssl ecparam -name prime256v1 -genkey -noout -out ca.key
openssl req -x509 -new -key ca.key -sha256 -days $days -subj "/CN=cable-node-test-ca" -out ca.pem
for who in server client; do
  openssl ecparam -name prime256v1 -genkey -noout -out $who.key
  openssl req -new -key $who.key -subj "/CN=cable-node-test-$who" -out $who.csr
  if [ $who = server ]; then
    ext="subjectAltName=DNS:localhost,IP:127.0.0.1"
  else
    ext="extendedKeyUsage=clientAuth"
  fi
  printf '%s\n' "$ext" > $who.ext
  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 \
    -days $days -extfile $who.ext -out $who.pem 2>/dev/null
  rm $who.csr $who.ext
done
rm -f ca.srl ca.key
