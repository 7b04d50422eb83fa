/* Keeps rert_testsupport non-empty before any tests/support file exists. */
int rert_testsupport_stub_;
