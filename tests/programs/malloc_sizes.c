/*
 * README's tour: a log2 histogram of the sizes libc's malloc() is asked
 * for (cbcc run -a 'uprobe:c:malloc=on_malloc').  malloc is a plain
 * function in glibc; strlen and friends are IFUNCs, whose symbol is the
 * resolver that picks an implementation once per process: a probe there
 * measures the resolver, not the calls.
 */
#include <uapi/linux/ptrace.h>

BPF_HISTOGRAM(sizes);

int on_malloc(struct pt_regs *ctx)
{
	sizes.increment(bpf_log2l(PT_REGS_PARM1(ctx)));
	return 0;
}
