# The sanitizer settings of the SWITCHBOARD_SANITIZE build's test run (AddressSanitizer, LeakSanitizer,
# UndefinedBehaviorSanitizer). scripts/test.sh sources it before `ctest --test-dir build/sanitize`;
# source it yourself to run those tests by hand:
#   . tests/sanitizers/env.sh && ctest --test-dir build/sanitize -R tst_tls --output-on-failure
# Child processes (the switchboard binary started by the tests and the client tests) inherit it.
# Any report fails the test: ASan and UBSan stop the process, LSan makes it exit non-zero.
switchboard_sanitizers_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export ASAN_OPTIONS="check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1"
export LSAN_OPTIONS="suppressions=${switchboard_sanitizers_dir}/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="suppressions=${switchboard_sanitizers_dir}/ubsan.supp:print_stacktrace=1:halt_on_error=1"
unset switchboard_sanitizers_dir
