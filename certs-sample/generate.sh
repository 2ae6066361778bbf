#!/usr/bin/env bash
# Regenerates the mapsign sample PKI (root CA, issuing CA, signers, TSA, OCSP responder,
# CRLs, OCSP index) with the OpenSSL 3 CLI and openssl.cnf next to this script.
# Usage: generate.sh [output-dir]   (default: the folder of this script)
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out_dir="${1:-$script_dir}"
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"

if [[ "$(openssl version)" != "OpenSSL 3."* ]]; then
  echo "generate.sh needs the OpenSSL 3 command line tool, found: $(openssl version)" >&2
  exit 1
fi
export OPENSSL_CONF="$script_dir/openssl.cnf"
readonly password='mapsign-sample'
readonly org_ca='Tổ chức chứng thực mẫu Mapsign'
readonly org_dept='Sở Nông nghiệp và Môi trường tỉnh Đồng Nai'
readonly unit_land='Văn phòng Đăng ký đất đai'
readonly province='Đồng Nai'

# Everything is built in a scratch folder and only the finished files are moved to the
# output folder, so a failed run never leaves a half-updated PKI behind.
work="$(mktemp -d "${TMPDIR:-/tmp}/mapsign-pki.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export MAPSIGN_PKI_WORK="$work"
stage="$work/out"
mkdir -p "$stage"

# quiet <command...>: hide OpenSSL's chatter, but show it if the command fails.
quiet() {
  "$@" 2>"$work/stderr.log" || { cat "$work/stderr.log" >&2; return 1; }
}

init_ca_db() {
  local ca="$1"
  mkdir -p "$work/$ca/certs"
  : >"$work/$ca/index.txt"
  echo 01 >"$work/$ca/crlnumber"
}

# new_key <file> <rsa-bits|P-256>
new_key() {
  local file="$1" kind="$2"
  if [[ "$kind" == P-256 ]]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
      -pkeyopt ec_param_enc:named_curve -out "$file"
  else
    quiet openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$kind" -out "$file"
  fi
}

# issue <ca> <stem> <key-kind> <subject> <extensions> [extra openssl ca options...]
issue() {
  local ca="$1" stem="$2" kind="$3" subject="$4" ext="$5"
  shift 5
  new_key "$work/$stem.key" "$kind"
  openssl req -new -utf8 -key "$work/$stem.key" -subj "$subject" -out "$work/$stem.csr"
  quiet openssl ca -batch -notext -utf8 -preserveDN -name "${ca//-/_}" -extensions "$ext" \
    -in "$work/$stem.csr" -out "$work/$stem.pem" "$@"
}

# export_p12 <stem> <friendly-name>: key + leaf + chain (issuing CA, root) with OpenSSL 3
# defaults (PBES2 with PBKDF2/HMAC-SHA-256 and AES-256-CBC, SHA-256 MAC); node-forge reads them.
export_p12() {
  local stem="$1" name="$2"
  openssl pkcs12 -export -inkey "$work/$stem.key" -in "$work/$stem.pem" \
    -certfile "$stage/ca-chain.pem" -name "$name" \
    -caname 'Mapsign Sample Issuing CA' -caname 'Mapsign Sample Root CA' \
    -passout "pass:$password" -out "$stage/$stem.p12"
  cp "$work/$stem.pem" "$stage/$stem.pem"
}

# ---- Root CA (self-signed) ------------------------------------------------------------
init_ca_db root-ca
new_key "$work/root-ca/ca.key" 4096
openssl req -new -x509 -utf8 -key "$work/root-ca/ca.key" -days 7320 -extensions v3_root \
  -subj "/C=VN/O=$org_ca/CN=Mapsign Sample Root CA" -out "$work/root-ca/ca.pem"
cp "$work/root-ca/ca.pem" "$stage/root-ca.pem"

# ---- Issuing CA, below the root -------------------------------------------------------
init_ca_db issuing-ca
issue root-ca issuing-ca 3072 "/C=VN/O=$org_ca/CN=Mapsign Sample Issuing CA" v3_issuing_ca -days 7310
cp "$work/issuing-ca.key" "$work/issuing-ca/ca.key"
cp "$work/issuing-ca.pem" "$work/issuing-ca/ca.pem"
cp "$work/issuing-ca.pem" "$stage/issuing-ca.pem"
cp "$work/issuing-ca.key" "$stage/issuing-ca.key"
cat "$stage/issuing-ca.pem" "$stage/root-ca.pem" >"$stage/ca-chain.pem"
openssl x509 -in "$stage/root-ca.pem" -outform DER -out "$stage/root-ca.cer"
openssl x509 -in "$stage/issuing-ca.pem" -outform DER -out "$stage/issuing-ca.cer"

# ---- End entities, below the issuing CA -----------------------------------------------
person() { echo "/C=VN/ST=$province/O=$org_dept/OU=$unit_land/CN=$1"; }

# signer <stem> <key-kind> <subject> <common-name> <extensions> [extra openssl ca options...]
# The PKCS#12 friendlyName is the subject's common name (stored as BMPString).
signer() {
  local stem="$1" kind="$2" subject="$3" cn="$4" ext="$5"
  shift 5
  issue issuing-ca "$stem" "$kind" "$subject" "$ext" "$@"
  export_p12 "$stem" "$cn"
}

signer staff-rsa 2048 "$(person 'Nguyễn Văn An')" 'Nguyễn Văn An' v3_signer
signer staff-ec P-256 "$(person 'Trần Thị Bình')" 'Trần Thị Bình' v3_signer
signer department-seal 3072 "/C=VN/ST=$province/O=$org_dept/CN=$org_dept" "$org_dept" v3_signer
signer revoked 2048 "$(person 'Lê Văn Cường')" 'Lê Văn Cường' v3_signer
signer expired 2048 "$(person 'Phạm Thị Dung')" 'Phạm Thị Dung' v3_signer \
  -startdate 20200101000000Z -enddate 20210101000000Z
signer no-signing-usage 2048 "$(person 'Hoàng Minh Đức')" 'Hoàng Minh Đức' v3_no_signing_usage
signer tsa 2048 "/C=VN/O=$org_ca/CN=Mapsign Sample TSA" 'Mapsign Sample TSA' v3_tsa
signer ocsp-responder 2048 "/C=VN/O=$org_ca/CN=Mapsign Sample OCSP Responder" \
  'Mapsign Sample OCSP Responder' v3_ocsp
cp "$work/ocsp-responder.key" "$stage/ocsp-responder.key"
cp "$work/tsa.key" "$stage/tsa.key"

# ---- Revocation data ------------------------------------------------------------------
quiet openssl ca -batch -name issuing_ca -revoke "$work/revoked.pem" -crl_reason keyCompromise
quiet openssl ca -batch -name issuing_ca -gencrl -out "$stage/issuing-ca.crl"
quiet openssl ca -batch -name root_ca -gencrl -out "$stage/root-ca.crl"
openssl crl -in "$stage/issuing-ca.crl" -outform DER -out "$stage/issuing-ca.crl.der"
openssl crl -in "$stage/root-ca.crl" -outform DER -out "$stage/root-ca.crl.der"
cp "$work/issuing-ca/index.txt" "$stage/issuing-ca-index.txt"

# Self-check before publishing: every leaf chains to the root, and the CRL is signed.
for stem in staff-rsa staff-ec department-seal revoked no-signing-usage tsa ocsp-responder; do
  openssl verify -CAfile "$stage/root-ca.pem" -untrusted "$stage/issuing-ca.pem" \
    "$stage/$stem.pem" >/dev/null
done
quiet openssl crl -in "$stage/issuing-ca.crl" -CAfile "$stage/issuing-ca.pem" -noout

mv -f "$stage"/* "$out_dir"/
echo "sample PKI written to $out_dir"
