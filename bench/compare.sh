#!/usr/bin/env bash
# Whole-process benchmark against openssl, unzip, 7zz and jarsigner: see compare.py.
exec python3 "$(dirname "$0")/compare.py" "$@"
