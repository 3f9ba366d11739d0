/* Running the mmusim binary from a test (mmusim_cmd.h). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmusim_cmd.h"

/* "mmusim", the command, up to this many arguments, and the NULL. */
#define MMUSIM_CMD_MAX_ARGS 32

char *mmusim_cmd_read_stream(FILE *f, size_t *len)
{
	long size;
	char *buf;

	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	cr_assert_geq(size, 0);
	rewind(f);
	buf = malloc(size + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, size, f), (size_t)size);
	buf[size] = '\0';
	if (len)
		*len = size;
	return buf;
}

void mmusim_cmd_run(const char *bin, const char *command,
		    const char *const *args, const char *input, size_t len,
		    struct mmusim_cmd_result *r)
{
	FILE *in = tmpfile(), *out = tmpfile(), *err = tmpfile();
	char *argv[MMUSIM_CMD_MAX_ARGS] = { "mmusim", (char *)command };
	int i, wstatus;
	pid_t pid;

	cr_assert(in && out && err);
	for (i = 0; args && args[i]; i++) {
		cr_assert_lt(i + 3, MMUSIM_CMD_MAX_ARGS);
		argv[i + 2] = (char *)args[i];
	}
	if (len)
		cr_assert_eq(fwrite(input, 1, len, in), len);
	fflush(in);
	rewind(in);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (!pid) {
		dup2(fileno(in), STDIN_FILENO);
		dup2(fileno(out), STDOUT_FILENO);
		dup2(fileno(err), STDERR_FILENO);
		execv(bin, argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &wstatus, 0), pid);
	r->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) :
					 128 + WTERMSIG(wstatus);
	r->out = mmusim_cmd_read_stream(out, &r->out_len);
	r->err = mmusim_cmd_read_stream(err, NULL);
	fclose(in);
	fclose(out);
	fclose(err);
}

void mmusim_cmd_result_free(struct mmusim_cmd_result *r)
{
	free(r->out);
	free(r->err);
}
