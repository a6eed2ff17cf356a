#!/bin/bash
# Runs the example's deliberately failing test (NT35E_EXAMPLE_SHOW_FAILURE=1) as built by
# install_example_test.sh and checks that the failure carries the modem's transcript and
# report path, in the output and in --gtest_output=xml.
#   failure_test.sh WORK_DIR
set -uo pipefail
work=$1
rm -rf "$work/artifacts" "$work/failure.xml"
NT35E_EXAMPLE_SHOW_FAILURE=1 NT35E_ARTIFACTS_DIR="$work/artifacts" "$work/driver/driver_tests" \
  --gtest_filter='*DeliberateFailure*' --gtest_output="xml:$work/failure.xml" >"$work/failure.out" 2>&1
status=$?
cat "$work/failure.out"
fail() { echo "FAIL: $*"; exit 1; }
[ "$status" -ne 0 ] || fail "the deliberate failure passed"
grep -q "the virtual modem's transcript, last" "$work/failure.out" || fail "no transcript in the output"
grep -q 'DTE -> "AT+ECMTPUB=0,' "$work/failure.out" || fail "the transcript lacks the driver's publish"
report=$(sed -n 's/^\[ nt35e    \] report: *//p' "$work/failure.out")
[ -s "$report" ] || fail "no report at '$report'"
grep -q "<html" "$report" || fail "$report is not HTML"
case "$report" in "$work/artifacts/driver_test.DeliberateFailure/"*) ;; *) fail "report not under NT35E_ARTIFACTS_DIR: $report" ;; esac
grep -q "nt35e_report" "$work/failure.xml" || fail "no nt35e_report property in the XML"
grep -q "$report" "$work/failure.xml" || fail "the XML lacks the report path"
grep -q "nt35e_transcript" "$work/failure.xml" || fail "no nt35e_transcript property in the XML"
grep -q "AT+ECMTPUB=0," "$work/failure.xml" || fail "the XML's transcript lacks the publish"
echo "ok: the failure carries the transcript and $report"
