#ifndef SHOPRECON_CLIBPQ_SHIM_H
#define SHOPRECON_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
