#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of fuzz_vmmu (tests/fuzz/corpus/).

Each seed is a short, hand-written scenario in the fuzzer's input format
(docs/FUZZING.md, "Input format"); the encoders below mirror the decoder in
fuzz_vmmu.c.  Run from anywhere: python3 tests/fuzz/mkseeds.py [outdir]
"""
import os
import sys

# Opcode bytes: the index of the operation in fuzz_vmmu.c's op tables.
D = dict(region=0, access=4, setas=11, rw=12, bstart=14, bend=16, host=18, hwrite=20,
         cpte=21, age=23, getd=25, cleard=27, manual=28, release=29, vcpu=30, sweep=31)
H = dict(region=0, access=3, setas=9, rw=10, bstart=11, bend=12, hwrite=13, cpte=14, age=15,
         getd=16, cleard=17, manual=18, release=19, vcpu=20, sweep=21, mmap=22, munmap=23,
         dontneed=24, migrate=25, swap=26, ksm=27, read=29, copy=30, stats=31)
SIZE_IDX = {1: 0, 2: 2, 3: 4, 4: 5, 8: 7, 16: 9, 32: 11, 64: 12, 65: 13, 130: 14, 512: 15}


def header(hostmm=False, one_as=False, vm_flags=0, vcpus3=False, gen_idx=0, gpa_idx=0,
           slots_idx=0, manual_idx=0, frames_idx=0, swap_idx=0, seed=1):
    h0 = (1 if hostmm else 0) | (6 if one_as else 0) | (vm_flags << 3) | (0x40 if vcpus3 else 0)
    h1 = gen_idx | (gpa_idx << 3) | (slots_idx << 5)
    h2 = manual_idx | (frames_idx << 2) | (swap_idx << 4)
    return bytes([h0, h1, h2, seed])


class Seed:
    def __init__(self, hostmm=False, **kw):
        self.t = H if hostmm else D
        self.b = bytearray(header(hostmm=hostmm, **kw))

    def op(self, name, *args):
        self.b += bytes([self.t[name]] + list(args))
        return self

    # set_user_memory_region: create (kind 0), delete (2), move (3), reflag (4)
    def create(self, sid, as_, flags, gfn, pages, hva_page):
        return self.op('region', 0, sid, as_, flags, 0, gfn, SIZE_IDX[pages], 0, hva_page)

    def delete(self, nth):
        return self.op('region', 2, nth, 0, 0, 0, 0, 0, 0, 0)

    def move(self, nth, new_gfn, toggle_log=False):
        return self.op('region', 3, nth, 0, 0x80 if toggle_log else 0, 0, new_gfn, 0, 0, 0)

    def toggle_log(self, nth):
        return self.op('region', 4, nth, 0, 0, 0, 0, 0, 0, 0)

    # vcpu_access of 8 bytes at offset 8*off8 of page @page of the vCPU's
    # address space's @nth slot; kind 0 read, 3 write, 6 fetch
    def access(self, vcpu, nth, page, kind=0, off8=0, length=8):
        return self.op('access', vcpu, nth, page, (length - 1) | (off8 << 5), kind, 0)

    def read(self, vcpu, nth, page):
        return self.access(vcpu, nth, page, 0)

    def write(self, vcpu, nth, page):
        return self.access(vcpu, nth, page, 3)

    # host page @page of the @nth slot (all address spaces)
    def bstart(self, nth, page, npages=1, kind=0):
        return self.op('bstart', nth, page, npages - 1, kind)

    def bend(self, i=0):
        return self.op('bend', i)

    # direct: 0 munmap, 1 new contents, 2 dontneed, 3 zero page; inside open bracket @br
    def host_in_bracket(self, kind, br=0, x=0, n=0):
        return self.op('host', kind, 1 | (br << 1), x, n)

    def host_own(self, kind, nth, page):
        return self.op('host', kind, 0, nth, page)

    def cpte(self, nth, page, writable=0):
        return self.op('cpte', nth, page, writable)

    def clear_young(self, nth, page, flush=False):
        return self.op('age', 1 if flush else 0, nth, page, 0)

    def getd(self, nth_logged=0):
        return self.op('getd', 1 + 2 * nth_logged, 0)

    def cleard(self, nth_logged=0, first_idx=0, num_idx=0, bm=0):
        return self.op('cleard', 1 + 2 * nth_logged, first_idx, num_idx, bm)

    def sweep(self, vcpu):
        return self.op('sweep', vcpu)


def seeds():
    out = {}

    # vmmu defect 1: lost dirty page after clear_young and a read fault by
    # another vCPU, found by the harvest after a write through the first
    # vCPU's stale writable TLB entry.
    s = Seed(seed=1)
    s.create(0, 0, 1, 0, 4, 0)
    s.write(0, 0, 1).clear_young(0, 1).read(1, 0, 1).getd(0).write(0, 0, 1).getd(0)
    out['defect1-lost-dirty-page'] = s

    # vmmu defect 3: the direct backend's 2 MiB "mapped" cache filled inside
    # a bracket (by a neighbour page's fault), the bracketed page unmapped.
    s = Seed(seed=3)
    s.create(0, 0, 0, 0, 16, 0)
    s.read(0, 0, 1).bstart(0, 5).read(0, 0, 6).host_in_bracket(0).bend(0).read(0, 0, 5)
    out['defect3-direct-cache'] = s

    # vmmu defect 5: change_pte accepted because a bracket in the other
    # address space put the same gfn in the invalidation hull.
    s = Seed(seed=5)
    s.create(0, 0, 0, 0, 4, 0).create(0, 1, 0, 0, 4, 8)
    s.read(0, 0, 0).bstart(0, 0).cpte(1, 0).bend(0).read(0, 0, 0)
    out['defect5-change-pte-other-as'] = s

    # CLEAR_DIRTY_LOG with num_pages not a multiple of 64 at the slot end:
    # a buffer of exactly ceil(65 / 8) bytes.
    s = Seed(seed=6, manual_idx=2)
    s.create(0, 0, 1, 0, 65, 0)
    s.write(0, 0, 64).write(1, 0, 3).getd(0).cleard(0, 0, 0, 0).getd(0).write(0, 0, 64)
    out['clear-dirty-log-65-pages'] = s

    # DELETE / MOVE / re-CREATE under vCPUs that keep translations.
    s = Seed(seed=7, vcpus3=True)
    s.create(0, 0, 1, 0, 8, 0).create(1, 0, 0, 16, 4, 32)
    s.read(0, 0, 1).write(1, 0, 2).read(2, 1, 0).sweep(0)
    s.move(0, 40).read(0, 0, 1).read(1, 1, 3).delete(0).read(0, 0, 0).sweep(1)
    s.create(0, 0, 2, 0, 4, 32).write(0, 0, 1).read(2, 0, 1).sweep(2)
    out['delete-move-create'] = s

    # Host memory replaced and dropped inside brackets; nested brackets.
    s = Seed(seed=8)
    s.create(0, 0, 1, 0, 16, 0).create(1, 1, 0, 0, 16, 0)
    s.read(0, 0, 3).write(1, 0, 4).bstart(0, 2, 4).bstart(0, 4, 2)
    s.host_in_bracket(1, 0).host_in_bracket(2, 1).cpte(0, 4).bend(1).read(0, 0, 8).bend(0)
    s.read(0, 0, 2).read(1, 0, 4).write(0, 0, 5).getd(0).host_own(0, 0, 9).read(0, 0, 9)
    s.host_own(3, 0, 9).read(1, 0, 9).sweep(0).sweep(1)
    out['brackets-replace-unmap'] = s

    # The simulated host MM: KSM merge of two equal pages, copy-on-write by
    # a vCPU, migration, swap-out and swap-in, munmap under a slot.
    s = Seed(hostmm=True, seed=9, frames_idx=0, swap_idx=2)
    s.create(0, 0, 1, 0, 16, 0)
    s.write(0, 0, 1).read(1, 0, 2)
    s.op('copy', 0, 1, 0, 2).op('ksm', 0, 1, 0, 2).read(0, 0, 2).read(1, 0, 1)
    s.write(1, 0, 2).read(0, 0, 1).op('migrate', 0, 3).read(0, 0, 3)
    s.op('swap', 0, 1).read(1, 0, 1).op('munmap', 0, 4, 0, 0).read(0, 0, 4)
    s.op('mmap', 4, 0, 0).read(0, 0, 4).getd(0).op('dontneed', 0, 1, 1, 0).read(0, 0, 1)
    s.getd(0).sweep(0).op('stats')
    out['hostmm-ksm-cow-migrate-swap'] = s

    # The simulated host MM with few frames: OOM on faults and swap-ins.
    s = Seed(hostmm=True, seed=10, frames_idx=3, swap_idx=3)
    s.create(0, 0, 0, 0, 32, 0)
    for p in range(12):
        s.write(p % 2, 0, p)
    s.op('swap', 0, 1).op('swap', 0, 2).op('swap', 0, 3).read(0, 0, 1).read(0, 0, 20)
    s.sweep(0)
    out['hostmm-oom-swap'] = s

    # Dirty logging with manual protect and INITIALLY_SET, slots re-flagged.
    s = Seed(seed=11, manual_idx=3)
    s.create(0, 0, 0, 0, 8, 0).write(0, 0, 1).toggle_log(0).getd(0)
    s.cleard(0, 0, 0, 2).write(1, 0, 1).write(0, 0, 2).getd(0).cleard(0).getd(0)
    s.toggle_log(0).write(0, 0, 3).toggle_log(0).getd(0)
    out['dirty-manual-initially-set'] = s

    # MMIO: accesses with no slot, a 1-bit MMIO generation (wrap zaps),
    # then CREATE over the cached MMIO gfn and a READONLY slot.
    s = Seed(seed=12, gen_idx=1)
    s.access(0, 200, 5, 0).access(0, 200, 5, 3).create(0, 0, 0, 5, 1, 3)
    s.read(0, 0, 0).delete(0).access(0, 200, 5, 0).create(1, 0, 2, 5, 1, 7)
    s.read(0, 0, 0).write(0, 0, 0).read(1, 0, 0)
    out['mmio-generation-wrap'] = s
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(
        os.path.abspath(__file__)), 'corpus')
    os.makedirs(outdir, exist_ok=True)
    for name, s in seeds().items():
        with open(os.path.join(outdir, name), 'wb') as f:
            f.write(bytes(s.b))
    print(f'{len(seeds())} seeds in {outdir}')


if __name__ == '__main__':
    main()
