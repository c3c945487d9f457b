#!/usr/bin/env bash
# Makes a self-signed development certificate for Switchboard's --tls-cert/--tls-key.
#   scripts/make-dev-cert.sh DIR [HOST...]
# Writes DIR/cert.pem (certificate, valid for 365 days) and DIR/key.pem (unencrypted EC P-256 key,
# readable by you only). The certificate names 127.0.0.1, ::1 and localhost, plus any extra HOST
# (an IP address or a DNS name). Clients trust it by loading DIR/cert.pem as their CA; browsers
# show a warning until you accept it. Existing files are never overwritten.
# For development only: never use it for anything reachable from the internet.
set -euo pipefail

if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    [ $# -ge 1 ] && exit 0 || exit 2
fi
dir=$1
shift
command -v openssl >/dev/null 2>&1 || { echo "make-dev-cert: openssl is not installed (apt-get install openssl)" >&2; exit 1; }

san="IP:127.0.0.1,IP:::1,DNS:localhost"
for host in "$@"; do
    if [[ $host =~ ^[0-9.]+$ || $host == *:* ]]; then san+=",IP:$host"; else san+=",DNS:$host"; fi
done

mkdir -p "$dir"
cert="$dir/cert.pem"
key="$dir/key.pem"
for file in "$cert" "$key"; do
    if [ -e "$file" ]; then
        echo "make-dev-cert: $file exists; remove it or choose another folder" >&2
        exit 1
    fi
done

umask 077 # the key is a secret from the first byte on
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 365 \
    -subj "/CN=Switchboard development certificate" \
    -addext "subjectAltName=$san" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=serverAuth" \
    -keyout "$key" -out "$cert" 2>/dev/null \
    || { echo "make-dev-cert: openssl failed to make the certificate" >&2; rm -f "$cert" "$key"; exit 1; }
chmod 644 "$cert"
echo "Certificate: $cert"
echo "Private key: $key"
echo "Run:   switchboard --tls-cert $cert --tls-key $key"
echo "Trust: curl --cacert $cert https://127.0.0.1:8080/healthz"
