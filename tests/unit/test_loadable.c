// SPDX-License-Identifier: GPL-2.0
/*
 * test_loadable.c - the loadable form cbcc-compile hands to the tracer:
 * a round trip keeps every field, and any torn, flipped or lying buffer
 * is refused (-EBADMSG) instead of being loaded.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loadable.h"

/* r0 = map[1] (fd load), r0 = 0, exit. */
static struct bpf_insn insns[] = {
	{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = 1,
	  .src_reg = BPF_PSEUDO_MAP_FD, .imm = 1 },
	{ 0 },
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static char *fields[] = { "pid#u32", "comm#char[16]" };

static struct loadable_prog progs[] = {
	{ .name = "tracepoint__sched__sched_switch", .insns = insns,
	  .insn_cnt = 4 },
};

static struct loadable_map maps[] = {
	{ .name = "counts", .type = BPF_MAP_TYPE_HASH, .key_size = 4,
	  .value_size = 8, .max_entries = 10240, .flags = 0,
	  .key_desc = "\"unsigned int\"", .value_desc = NULL },
	{ .name = "events", .type = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
	  .key_size = 4, .value_size = 4, .max_entries = 2,
	  .fields = fields, .nr_fields = 2 },
};

static const struct loadable sample = {
	.no_cache = "map 'pinned' is pinned",
	.license = "GPL", .kern_version = 0x60c00,
	.progs = progs, .nr_progs = 1, .maps = maps, .nr_maps = 2,
};

static void encode_sample(void **buf, size_t *len)
{
	assert_int_equal(loadable_encode(&sample, buf, len), 0);
	assert_true(*len > 16);
}

static void test_round_trip(void **state)
{
	struct loadable *l;
	size_t len;
	void *buf;

	(void)state;
	encode_sample(&buf, &len);
	assert_int_equal(loadable_decode(buf, len, &l), 0);
	assert_string_equal(l->no_cache, "map 'pinned' is pinned");
	assert_string_equal(l->license, "GPL");
	assert_int_equal(l->kern_version, 0x60c00);
	assert_int_equal(l->nr_progs, 1);
	assert_string_equal(l->progs[0].name, progs[0].name);
	assert_int_equal(l->progs[0].insn_cnt, 4);
	assert_memory_equal(l->progs[0].insns, insns, sizeof(insns));
	assert_int_equal(loadable_insn_map(&l->progs[0].insns[0]), 1);
	assert_int_equal(loadable_insn_map(&l->progs[0].insns[2]), -1);
	assert_int_equal(l->nr_maps, 2);
	assert_string_equal(l->maps[0].name, "counts");
	assert_int_equal(l->maps[0].max_entries, 10240);
	assert_string_equal(l->maps[0].key_desc, "\"unsigned int\"");
	assert_null(l->maps[0].value_desc);
	assert_int_equal(l->maps[1].type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	assert_int_equal(l->maps[1].nr_fields, 2);
	assert_string_equal(l->maps[1].fields[1], "comm#char[16]");
	loadable_free(l);
	free(buf);
}

/* Every prefix of a good encoding is refused. */
static void test_truncated_refused(void **state)
{
	struct loadable *l;
	size_t len, n;
	void *buf;

	(void)state;
	encode_sample(&buf, &len);
	for (n = 0; n < len; n++) {
		assert_int_equal(loadable_decode(buf, n, &l), -EBADMSG);
		assert_null(l);
	}
	free(buf);
}

/* Any single flipped bit is caught (magic, length or CRC-32). */
static void test_flipped_bit_refused(void **state)
{
	struct loadable *l;
	size_t len, i;
	unsigned char *buf;
	int bit;

	(void)state;
	encode_sample((void **)&buf, &len);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			buf[i] ^= 1u << bit;
			assert_int_equal(loadable_decode(buf, len, &l),
					 -EBADMSG);
			buf[i] ^= 1u << bit;
		}
	}
	free(buf);
}

/* A well-formed encoding whose program names a map that is not there. */
static void test_map_index_out_of_range_refused(void **state)
{
	struct bpf_insn bad[4];
	struct loadable_prog p = progs[0];
	struct loadable s = sample;
	struct loadable *l;
	size_t len;
	void *buf;

	(void)state;
	memcpy(bad, insns, sizeof(bad));
	bad[0].imm = 2;		/* only maps 0 and 1 exist */
	p.insns = bad;
	s.progs = &p;
	assert_int_equal(loadable_encode(&s, &buf, &len), 0);
	assert_int_equal(loadable_decode(buf, len, &l), -EBADMSG);
	free(buf);
}

/* Trailing bytes after a good encoding mean it is not one encoding. */
static void test_trailing_bytes_refused(void **state)
{
	struct loadable *l;
	size_t len;
	char *buf, *longer;

	(void)state;
	encode_sample((void **)&buf, &len);
	longer = calloc(1, len + 1);
	assert_non_null(longer);
	memcpy(longer, buf, len);
	assert_int_equal(loadable_decode(longer, len + 1, &l), -EBADMSG);
	free(longer);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated_refused),
		cmocka_unit_test(test_flipped_bit_refused),
		cmocka_unit_test(test_map_index_out_of_range_refused),
		cmocka_unit_test(test_trailing_bytes_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
