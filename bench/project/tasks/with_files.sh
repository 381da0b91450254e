#!/bin/sh
. "$PT__installdir/bench/files/lib.sh"
greet "${PT_name:-world}"
