// Conformance fixture that fails at boot, as a function with a bad import or a
// missing secret would: the gateway must answer 503 BOOT_ERROR and keep running.
throw new Error('gwtest-broken fails on purpose');
