// SPDX-License-Identifier: GPL-2.0
/* sdt_req.c - sdt_main.c's semaphore-guarded probe cbcc_sdt:req. */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
unsigned short cbcc_sdt_req_semaphore __attribute__((section(".probes")));
void req(int i)
{
	if (__builtin_expect(cbcc_sdt_req_semaphore, 0))
		DTRACE_PROBE1(cbcc_sdt, req, i * 2);
}
