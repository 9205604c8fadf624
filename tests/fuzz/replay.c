/*
 * Replays fuzz inputs through a fuzz target without libFuzzer, so that
 * `make test` checks every corpus file with gcc's sanitizers. Arguments are
 * files or directories of files.
 */
#include "util.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	size_t len;
	char *data = read_file(path, &len);
	if (!data) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	int bad = 0, count = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *dp = opendir(argv[i]);
			struct dirent *de;
			while (dp && (de = readdir(dp))) {
				if (de->d_name[0] == '.')
					continue;
				char *p = xasprintf("%s/%s", argv[i], de->d_name);
				bad |= replay_file(p);
				count++;
				free(p);
			}
			if (dp)
				closedir(dp);
		} else {
			bad |= replay_file(argv[i]);
			count++;
		}
	}
	printf("replayed %d inputs\n", count);
	return bad ? 1 : 0;
}
