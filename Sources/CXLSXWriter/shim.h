#ifndef SHOPRECON_CXLSXWRITER_SHIM_H
#define SHOPRECON_CXLSXWRITER_SHIM_H
#include <xlsxwriter.h>
#endif
