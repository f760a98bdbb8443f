// SPDX-License-Identifier: GPL-2.0
/*
 * sdt_main.c - the USDT workload of test_usdt.py and test_tplist.py,
 * linked with sdt_req.c (_SDT_HAS_SEMAPHORES is per translation unit, and
 * the tests want a probe with a semaphore and one without).  `sdt N`
 * fires N times and exits; `sdt wait N` fires N times per line read on
 * stdin, saying "fired" each time.  Two providers share the probe "dup".
 */
#include <sys/sdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
long counter = 7;
void req(int i);
static void fire(int n, const char *who)
{
	for (int i = 0; i < n; i++) {
		DTRACE_PROBE3(cbcc_sdt, plain, i, (long)who, counter);
		req(i);
	}
	DTRACE_PROBE(cbcc_sdt, dup);
	DTRACE_PROBE(other, dup);
}
int main(int argc, char **argv)
{
	char line[64];
	if (argc > 2 && !strcmp(argv[1], "wait")) {
		setvbuf(stdout, NULL, _IONBF, 0);
		printf("ready\n");
		while (fgets(line, sizeof(line), stdin)) {
			fire(atoi(argv[2]), argv[0]);
			printf("fired\n");
		}
		return 0;
	}
	fire(argc > 1 ? atoi(argv[1]) : 3, argv[0]);
	return 0;
}
