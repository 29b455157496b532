#!/usr/bin/env bash
# Boot-time benchmark only (kept for compatibility): see scripts/bench.sh.
exec "$(dirname "$0")/bench.sh" --boot
