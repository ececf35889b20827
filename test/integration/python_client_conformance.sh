#!/usr/bin/env bash
# The official Kubernetes Python client (Debian python3-kubernetes) against
# `kvip apiserver`, beside kubectl in the conformance suite: list, watch from a
# list's resourceVersion (the client sends watch=True), status patch, Lease
# compare-and-swap (409 on a stale resourceVersion), 404s. The checks are in
# python_client_conformance.py. Without the client: skipped (exit 77) with
# the reason, a failure with CI=true.
source "$(dirname "$0")/lib/common.bash"

# The Debian package is in the system Python; a python3 earlier on PATH (pyenv, a venv) may
# not see it, so the first interpreter that imports it is used.
PY=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import kubernetes' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
  skip "the Kubernetes Python client is not installed (Debian python3-kubernetes; .ci/install-deps installs it)"
fi
echo "python client: $("$PY" -c 'import kubernetes; print(kubernetes.__version__)') ($PY)"
start_apiserver || { fail "apiserver did not start"; finish; exit 1; }
if "$PY" "$(dirname "$0")/python_client_conformance.py" "$API_URL"; then
  pass "python client conformance"
else
  fail "python client conformance"
  sed 's/^/  apiserver: /' "$TMP/apiserver.log" | tail -20
fi
finish
