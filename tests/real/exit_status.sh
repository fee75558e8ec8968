# Programs that exit with status 3 keep it under memplumber (and their output).
. "$(dirname "$0")/_lib.sh"
need "$PYTHON"
need perl
compare_run python_exit3 "$PYTHON" -c 'import sys; print("leaving with 3"); sys.exit(3)' || exit 1
compare_run perl_exit3 perl -e 'print "leaving with 3\n"; exit 3' || exit 1
