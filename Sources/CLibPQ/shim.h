// libpq's header lives in /usr/include/postgresql on Debian; pkg-config finds it, and the
// fallback keeps the build working where pkg-config is missing.
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif
