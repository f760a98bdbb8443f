KFUNC_PROBE(vfs_read)
{
	return 0;
}
