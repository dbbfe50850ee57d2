#!/usr/bin/env bash
# neon_words.sh: check every WORD-encoded NEON instruction of package lmhead.
#
# neon_arm64.h defines one WORD macro per float instruction the Go arm64
# assembler lacks, each preceded by a "// gnu: ..." line with the GNU syntax
# it must decode to (<m>, <n>, <d> standing for the macro's arguments). This
# script builds the arm64 test binary, disassembles the package with
# `go tool objdump -gnu` (golang.org/x/arch's decoder, independent of the
# hand-derived constants), and, for every line of every .s file that invokes
# a header macro, requires exactly one instruction at that file:line whose
# GNU disassembly equals the expanded "gnu:" template. It also fails if a
# macro is never used (an unchecked encoding), if a macro is used inside
# another #define (its sites would not map to one source line), or if a .s
# file contains a bare WORD.
#
# Usage: bash .ci/neon_words.sh   (from anywhere; needs only the Go toolchain)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

header=neon_arm64.h
mapfile -t sfiles < <(grep -l "#include \"$header\"" -- *_arm64.s)
if [ "${#sfiles[@]}" -eq 0 ]; then
	echo "neon_words: no .s file includes $header" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GOOS=linux GOARCH=arm64 go test -c -o "$tmp/lmhead.test" .
go tool objdump -gnu -s '^github\.com/lmhead/lmhead\.' "$tmp/lmhead.test" >"$tmp/dis.txt"

awk -v header="$header" '
function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
function norm(s) { s = tolower(trim(s)); gsub(/[ \t]+/, " ", s); return s }
function fail(msg) { print "neon_words: " msg > "/dev/stderr"; bad = 1 }

# Pass 1, the header: macro name -> parameter list and GNU template.
FILENAME == header {
	if ($0 ~ /^\/\/ gnu: /) { gnu = substr($0, 9); next }
	if ($0 ~ /^#define [A-Z0-9_]+\(/) {
		name = $2; sub(/\(.*/, "", name)
		p = $0; sub(/^#define [A-Z0-9_]+\(/, "", p); sub(/\).*/, "", p)
		if (gnu == "") fail(header ": " name " has no gnu: line")
		if ($0 !~ /WORD/) fail(header ": " name " is not a WORD macro")
		tmpl[name] = gnu; params[name] = p; used[name] = 0; nmacros++
		gnu = ""
	}
	next
}

# Pass 2, the disassembly: file:line -> instruction count, hex, GNU text.
FILENAME ~ /dis\.txt$/ {
	if ($1 !~ /\.s:[0-9]+$/) next
	key = $1; n[key]++
	hex = ""
	for (i = 2; i <= NF; i++) if (length($i) == 8 && $i ~ /^[0-9a-f]+$/) { hex = $i; break }
	g = $0
	if (index(g, "// ") > 0) g = substr(g, index(g, "// ") + 3); else g = "?"
	dhex[key] = hex; dgnu[key] = norm(g)
	next
}

# Pass 3, the .s files: every macro site, expanded.
{
	file = FILENAME; sub(/.*\//, "", file)
	line = $0
	incont = cont; cont = (line ~ /\\[ \t]*$/)
	code = line; sub(/\/\/.*/, "", code)
	if (code ~ /(^|[^A-Z0-9_])WORD[ \t]/) fail(file ":" FNR ": bare WORD; add a macro to " header)
	for (name in tmpl) {
		pat = "(^|[^A-Za-z0-9_])" name "\\("
		if (code !~ pat) continue
		if (incont || code ~ /^[ \t]*#define/) { fail(file ":" FNR ": " name " inside a #define cannot be checked"); continue }
		rest = code; sub(".*" name "\\(", "", rest)
		if (rest !~ /\)/) { fail(file ":" FNR ": cannot parse " name); continue }
		args = rest; sub(/\).*/, "", args)
		after = rest; sub(/^[^)]*\)/, "", after)
		if (trim(after) != "") { fail(file ":" FNR ": more than one instruction on a macro line"); continue }
		np = split(params[name], pv, ","); na = split(args, av, ",")
		if (np != na) { fail(file ":" FNR ": " name " wants " np " arguments"); continue }
		want = tmpl[name]
		for (i = 1; i <= np; i++) {
			a = trim(av[i])
			if (a !~ /^[0-9]+$/ || a + 0 > 31) { fail(file ":" FNR ": argument " a " of " name " is not a register number 0..31"); continue }
			gsub("<" trim(pv[i]) ">", a, want)
		}
		used[name]++; sites++
		key = file ":" FNR
		if (!(key in n)) { fail(key ": " name "(" args ") not found in the disassembly (function not linked?)"); continue }
		if (n[key] != 1) { fail(key ": " n[key] " instructions on one macro line"); continue }
		if (dgnu[key] != norm(want)) {
			fail(key ": " name "(" args ") is " dhex[key] " = \"" dgnu[key] "\", want \"" norm(want) "\"")
			continue
		}
		ok++
		if (verbose) printf "ok  %-22s %-20s %s  %s\n", key, name "(" args ")", dhex[key], dgnu[key]
	}
}

END {
	if (nmacros == 0) fail("no macros found in " header)
	for (name in used) if (used[name] == 0) fail(name " is defined in " header " but never used, so never checked")
	if (bad) exit 1
	printf "neon_words: %d WORD sites of %d macros decode as their gnu: lines\n", ok, nmacros
}
' verbose="${NEON_WORDS_VERBOSE:-0}" "$header" "$tmp/dis.txt" "${sfiles[@]}"
