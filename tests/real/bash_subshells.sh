# bash -c with a loop, command substitutions, subshells and pipelines: many fork+exec, each
# process tracked (one report per process).
. "$(dirname "$0")/_lib.sh"
need bash
compare_run bash_subshells bash -c '
    total=0
    for i in $(seq 1 15); do
        n=$( (echo "$i"; echo "x$i") | wc -l )
        sq=$(expr "$i" \* "$i")
        total=$((total + n + sq))
        ( cd / && test -d tmp ) && echo "line $i: $n $sq"
    done
    echo "total $total"
' || exit 1
