/* SPDX-License-Identifier: MIT */
/*
 * peak_rss COMMAND [ARGS...]: runs a command and prints its peak resident
 * set size in KiB and its CPU time (user + system, its children included)
 * on stderr, as "peak_rss_kib N cpu_s S". A small C parent, so that the
 * child's high-water mark is its own, not inherited from a big parent.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	int status;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: peak_rss COMMAND [ARGS...]\n");
		return 2;
	}
	if ((pid = fork()) == 0) {
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		return perror("wait4"), 1;
	{
		struct rusage kids;
		double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		             ru.ru_stime.tv_usec / 1e6;
		/* what the command itself waited for (podman's helpers, say) */
		if (getrusage(RUSAGE_CHILDREN, &kids) == 0)
			cpu = (double)kids.ru_utime.tv_sec + kids.ru_utime.tv_usec / 1e6 + (double)kids.ru_stime.tv_sec +
			      kids.ru_stime.tv_usec / 1e6;
		fprintf(stderr, "peak_rss_kib %ld cpu_s %.3f\n", ru.ru_maxrss, cpu);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
