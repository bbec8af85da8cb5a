// SPDX-License-Identifier: MIT
/*
 * libreenter.so: preloaded after libvmmu-shadow.so by reenter.sh, it calls
 * back into the shadow's wrappers from where the shadow must neither wait
 * for its own lock nor for its own initialization.  $REENTER says how:
 *
 *   getenv  getenv() maps and unmaps a page before it answers.  The
 *           shadow's initialization reads its environment, so its own
 *           mmap() and munmap() are entered while it initializes.
 *   ioctl   ioctl() (the next one after the shadow's: the shadow calls it
 *           for the kernel's call, holding its lock) drops the first page
 *           of the last memslot the program created with MADV_DONTNEED
 *           before it passes a KVM_GET_DIRTY_LOG on: the shadow's madvise()
 *           is entered, over a live slot, inside a mirrored call.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

extern char **environ;

/* getenv() without getenv(): this library replaces it. */
static const char *env_find(const char *name)
{
	size_t n = strlen(name);

	for (char **e = environ; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static int mode_is(const char *mode)
{
	const char *m = env_find("REENTER");

	return m && !strcmp(m, mode);
}

char *getenv(const char *name)
{
	if (mode_is("getenv")) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED)
			munmap(p, 4096);
	}
	return (char *)env_find(name);
}

int ioctl(int fd, unsigned long request, ...)
{
	static int (*next)(int, unsigned long, ...);
	static uint64_t last_hva;
	unsigned int req = (unsigned int)request;
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!next)
		next = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	if (mode_is("ioctl") && arg) {
		if (req == KVM_SET_USER_MEMORY_REGION) {
			const struct kvm_userspace_memory_region *r = arg;

			if (r->memory_size)
				last_hva = r->userspace_addr;
		} else if (req == KVM_GET_DIRTY_LOG && last_hva) {
			madvise((void *)(uintptr_t)last_hva, 4096, MADV_DONTNEED);
		}
	}
	return next(fd, request, arg);
}
