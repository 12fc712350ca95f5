# x86-64 encodings checked against GNU as (gnu.sh regenerates gnu.golden from this file).
# Each line that is not a comment is assembled on its own, at offset 0 of a section of its own.
# After its "#" is the same code written for package amd64: TestGNUGolden runs it on an empty
# assembler and compares the bytes with GNU as's. L<n> is a label (GNU as: <n>:, <n>b, <n>f);
# Skip(n) is n int3 bytes (.skip n,0xcc).

# Register to register (REX.W op /r).
movq %rcx,%rax	# MovRR(rax, rcx)
movq %r8,%r15	# MovRR(r15, r8)
movq %rbp,%rsp	# MovRR(rsp, rbp)
movq %r13,%r12	# MovRR(r12, r13)
addq %rsi,%rax	# AddRR(rax, rsi)
subq %rdx,%r9	# SubRR(r9, rdx)
andq %r12,%rbx	# AndRR(rbx, r12)
orq %rdi,%rdi	# OrRR(rdi, rdi)
xorq %r13,%r13	# XorRR(r13, r13)
cmpq %r15,%rax	# CmpRR(rax, r15)
testq %rsi,%rax	# TestRR(rax, rsi)
imulq %r9,%rax	# Imul(rax, r9)
imulq %rcx,%r12	# Imul(r12, rcx)
movzbq %sil,%rax	# MovzxB(rax, rsi)
movzbq %cl,%r8	# MovzxB(r8, rcx)
movzbq %r15b,%rdx	# MovzxB(rdx, r15)
# cmovcc (REX.W 0F 40+cc /r): every condition.
cmovlq %rsi,%rax	# CmovRR(l, rax, rsi)
cmovneq %r11,%r10	# CmovRR(ne, r10, r11)
cmovoq %r15,%rax	# CmovRR(o, rax, r15)
cmovnoq %r14,%rcx	# CmovRR(no, rcx, r14)
cmovbq %r13,%rdx	# CmovRR(b, rdx, r13)
cmovaeq %r12,%rbx	# CmovRR(ae, rbx, r12)
cmoveq %r11,%rsp	# CmovRR(e, rsp, r11)
cmovbeq %r9,%rsi	# CmovRR(be, rsi, r9)
cmovaq %r8,%rdi	# CmovRR(a, rdi, r8)
cmovsq %rdi,%r8	# CmovRR(s, r8, rdi)
cmovnsq %rsi,%r9	# CmovRR(ns, r9, rsi)
cmovpq %rbp,%r10	# CmovRR(p, r10, rbp)
cmovnpq %rsp,%r11	# CmovRR(np, r11, rsp)
cmovgeq %rdx,%r13	# CmovRR(ge, r13, rdx)
cmovleq %rcx,%r14	# CmovRR(le, r14, rcx)
cmovgq %rax,%r15	# CmovRR(g, r15, rax)
# Register and immediate: imm8 (83 /op ib), the RAX short form (op*8+5 id), imm32 (81 /op id).
addq $1,%rax	# AddRI(rax, 1)
addq $127,%rax	# AddRI(rax, 127)
addq $128,%rax	# AddRI(rax, 128)
addq $128,%rcx	# AddRI(rcx, 128)
addq $-128,%rcx	# AddRI(rcx, -128)
addq $-129,%rcx	# AddRI(rcx, -129)
addq $0x7fffffff,%r8	# AddRI(r8, 0x7fffffff)
addq $-0x80000000,%r15	# AddRI(r15, -0x80000000)
subq $8,%rsp	# SubRI(rsp, 8)
subq $1000,%rax	# SubRI(rax, 1000)
andq $-16,%rdx	# AndRI(rdx, -16)
andq $0xffff,%rax	# AndRI(rax, 0xffff)
orq $0,%r12	# OrRI(r12, 0)
xorq $-1,%rsi	# XorRI(rsi, -1)
cmpq $0,%rdi	# CmpRI(rdi, 0)
cmpq $0x12345,%rax	# CmpRI(rax, 0x12345)
cmpq $0x12345,%r13	# CmpRI(r13, 0x12345)
testq $1,%rax	# TestRI(rax, 1)
testq $1,%rcx	# TestRI(rcx, 1)
testq $-1,%r9	# TestRI(r9, -1)
imulq $5,%rcx,%rax	# ImulRRI(rax, rcx, 5)
imulq $500,%r15,%r8	# ImulRRI(r8, r15, 500)
# Immediate moves: mov r64, imm32 (C7 /0), movabs (B8+r io); MovRI picks the shortest flag-preserving form.
movq $-5,%rax	# MovRI32(rax, -5)
movq $0x7fffffff,%r11	# MovRI32(r11, 0x7fffffff)
movabsq $0x123456789,%rax	# MovRI64(rax, 0x123456789)
movabsq $-1,%r15	# MovRI64(r15, -1)
movl $0,%eax	# MovRI(rax, 0)
movl $5,%eax	# MovRI(rax, 5)
movl $0xffffffff,%r9d	# MovRI(r9, 0xffffffff)
movq $-1,%rbx	# MovRI(rbx, -1)
movq $-0x80000000,%rbx	# MovRI(rbx, -0x80000000)
movabsq $0x100000000,%rdx	# MovRI(rdx, 0x100000000)
movabsq $-0x8000000000000000,%r14	# MovRI(r14, -0x8000000000000000)
# Memory operands (ModRM, SIB, disp8/disp32).
movq (%rax),%rax	# Load(rax, [rax])
movq (%rsp),%rax	# Load(rax, [rsp])
movq (%r12),%rax	# Load(rax, [r12])
movq 0(%rbp),%rax	# Load(rax, [rbp])
movq 0(%r13),%rax	# Load(rax, [r13])
movq 127(%rdx),%rcx	# Load(rcx, [rdx+0x7f])
movq 128(%rdx),%rcx	# Load(rcx, [rdx+0x80])
movq -128(%rdx),%rcx	# Load(rcx, [rdx-0x80])
movq -129(%rdx),%rcx	# Load(rcx, [rdx-0x81])
movq 8(%rsp),%r8	# Load(r8, [rsp+0x8])
movq 0x1000(%r12),%r15	# Load(r15, [r12+0x1000])
movq -0x80000000(%r13),%rdi	# Load(rdi, [r13-0x80000000])
movq 0x7fffffff(%rbp),%rsi	# Load(rsi, [rbp+0x7fffffff])
movq (%rax,%r12,2),%rax	# Load(rax, [rax+r12*2])
movq 16(%rbx,%rcx,8),%rax	# Load(rax, [rbx+rcx*8+0x10])
movq (%rsp,%rax,1),%r9	# Load(r9, [rsp+rax*1])
movq 0(%rbp,%rsi,4),%r9	# Load(r9, [rbp+rsi*4])
movq -129(%r13,%r15,4),%r9	# Load(r9, [r13+r15*4-0x81])
movq 127(%r12,%rbp,8),%r9	# Load(r9, [r12+rbp*8+0x7f])
# The ModRM/SIB special cases (Intel SDM Vol. 2A §2.1.5, Tables 2-2 and 2-3): r/m=100 means a SIB
# follows, so RSP and R12 as a base need one (index none); mod=00 with r/m=101 (or SIB base=101)
# means disp32 and no base (RIP-relative without a SIB), so RBP and R13 as a base need a disp8 of 0.
movq 0(%rbp,%rax,1),%rax	# Load(rax, [rbp+rax*1])
movq 0(%r13,%rax,1),%rax	# Load(rax, [r13+rax*1])
movq (%rax,%r12,8),%rax	# Load(rax, [rax+r12*8])
movq -1(%rsp,%rbp,4),%rax	# Load(rax, [rsp+rbp*4-0x1])
movq %rax,(%rsp)	# Store([rsp], rax)
movq %r12,-8(%r12)	# Store([r12-0x8], r12)
movq %rcx,0x100(%rdi,%r8,8)	# Store([rdi+r8*8+0x100], rcx)
movq $7,(%rax)	# StoreI32([rax], 7)
movq $-1,-16(%rbp)	# StoreI32([rbp-0x10], -1)
leaq 16(%rsp),%rax	# Lea(rax, [rsp+0x10])
leaq (%rax,%rax,2),%r10	# Lea(r10, [rax+rax*2])
leaq 1(%r13,%r12,1),%rdx	# Lea(rdx, [r13+r12*1+0x1])
# One-operand forms, push and pop, indirect branches.
negq %rax	# Neg(rax)
negq %r15	# Neg(r15)
notq %rcx	# Not(rcx)
idivq %r9	# Idiv(r9)
idivq %rbx	# Idiv(rbx)
pushq %rbp	# Push(rbp)
pushq %r12	# Push(r12)
popq %rbp	# Pop(rbp)
popq %r15	# Pop(r15)
call *%rax	# CallR(rax)
call *%r8	# CallR(r8)
jmp *%rax	# JmpR(rax)
jmp *%r11	# JmpR(r11)
# Shifts: D1 /op for a count of 1, C1 /op ib otherwise; D3 /op by CL.
shlq $1,%rax	# ShlI(rax, 1)
shlq $0,%rax	# ShlI(rax, 0)
shlq $63,%r9	# ShlI(r9, 63)
shrq $3,%rdx	# ShrI(rdx, 3)
sarq $1,%r12	# SarI(r12, 1)
sarq $32,%rsi	# SarI(rsi, 32)
shlq %cl,%rax	# ShlCL(rax)
shrq %cl,%r10	# ShrCL(r10)
sarq %cl,%rdi	# SarCL(rdi)
# setcc (0F 90+cc /0): every condition; REX for spl, bpl, sil, dil and r8b–r15b.
sete %al	# Setcc(e, rax)
setne %bl	# Setcc(ne, rbx)
setl %sil	# Setcc(l, rsi)
setg %spl	# Setcc(g, rsp)
setb %r8b	# Setcc(b, r8)
seto %r15b	# Setcc(o, r15)
setno %bpl	# Setcc(no, rbp)
setae %r15b	# Setcc(ae, r15)
setbe %r14b	# Setcc(be, r14)
seta %bl	# Setcc(a, rbx)
sets %r8b	# Setcc(s, r8)
setns %r13b	# Setcc(ns, r13)
setp %dl	# Setcc(p, rdx)
setnp %dil	# Setcc(np, rdi)
setge %cl	# Setcc(ge, rcx)
setle %sil	# Setcc(le, rsi)
# Canonical nops (GNU as has no single nop longer than 11 bytes) and no-operand instructions.
.nops 1	# Nop(1)
.nops 2	# Nop(2)
.nops 3	# Nop(3)
.nops 4	# Nop(4)
.nops 5	# Nop(5)
.nops 6	# Nop(6)
.nops 7	# Nop(7)
.nops 8	# Nop(8)
.nops 9	# Nop(9)
.nops 10	# Nop(10)
.nops 11	# Nop(11)
ret	# Ret()
cqto	# Cqo()
int3	# Int3()
ud2	# Ud2()
cpuid	# Cpuid()
mfence	# Mfence()
pause	# Pause()
# Alignment padding: runs of 11-byte nops and one shorter nop, as .balign pads code.
int3; .balign 16	# Int3(); Align(16)
int3; .balign 32	# Int3(); Align(32)
# Branches to labels. Skip(n) is n int3 bytes (.skip n,0xcc). jmp and jcc take rel8 when the label
# is in reach, else rel32; {disp32} forces rel32, as JmpLong and JccLong do.
jmp 1f; 1:	# Jmp(L1); L1:
jmp 1f; .skip 127,0xcc; 1:	# Jmp(L1); Skip(127); L1:
jmp 1f; .skip 128,0xcc; 1:	# Jmp(L1); Skip(128); L1:
1: jmp 1b	# L1:; Jmp(L1)
1: .skip 126,0xcc; jmp 1b	# L1:; Skip(126); Jmp(L1)
1: .skip 127,0xcc; jmp 1b	# L1:; Skip(127); Jmp(L1)
{disp32} jmp 1f; 1:	# JmpLong(L1); L1:
1: int3; {disp32} jmp 1b	# L1:; Int3(); JmpLong(L1)
jo 1f; 1:	# Jcc(o, L1); L1:
jno 1f; .skip 8,0xcc; 1:	# Jcc(no, L1); Skip(8); L1:
jb 1f; .skip 16,0xcc; 1:	# Jcc(b, L1); Skip(16); L1:
jae 1f; .skip 24,0xcc; 1:	# Jcc(ae, L1); Skip(24); L1:
je 1f; .skip 32,0xcc; 1:	# Jcc(e, L1); Skip(32); L1:
jne 1f; .skip 40,0xcc; 1:	# Jcc(ne, L1); Skip(40); L1:
jbe 1f; .skip 48,0xcc; 1:	# Jcc(be, L1); Skip(48); L1:
ja 1f; .skip 56,0xcc; 1:	# Jcc(a, L1); Skip(56); L1:
js 1f; .skip 64,0xcc; 1:	# Jcc(s, L1); Skip(64); L1:
jns 1f; .skip 72,0xcc; 1:	# Jcc(ns, L1); Skip(72); L1:
jp 1f; .skip 80,0xcc; 1:	# Jcc(p, L1); Skip(80); L1:
jnp 1f; .skip 88,0xcc; 1:	# Jcc(np, L1); Skip(88); L1:
jl 1f; .skip 96,0xcc; 1:	# Jcc(l, L1); Skip(96); L1:
jge 1f; .skip 104,0xcc; 1:	# Jcc(ge, L1); Skip(104); L1:
jle 1f; .skip 112,0xcc; 1:	# Jcc(le, L1); Skip(112); L1:
jg 1f; .skip 120,0xcc; 1:	# Jcc(g, L1); Skip(120); L1:
jl 1f; .skip 127,0xcc; 1:	# Jcc(l, L1); Skip(127); L1:
jl 1f; .skip 128,0xcc; 1:	# Jcc(l, L1); Skip(128); L1:
1: .skip 126,0xcc; jge 1b	# L1:; Skip(126); Jcc(ge, L1)
1: .skip 127,0xcc; jge 1b	# L1:; Skip(127); Jcc(ge, L1)
{disp32} jo 1f; 1:	# JccLong(o, L1); L1:
{disp32} je 1f; 1:	# JccLong(e, L1); L1:
{disp32} js 1f; 1:	# JccLong(s, L1); L1:
{disp32} jl 1f; 1:	# JccLong(l, L1); L1:
1: int3; {disp32} jne 1b	# L1:; Int3(); JccLong(ne, L1)
call 1f; 1:	# Call(L1); L1:
call 1f; .skip 200,0xcc; 1:	# Call(L1); Skip(200); L1:
1: int3; call 1b	# L1:; Int3(); Call(L1)
# RIP-relative loads and addresses (REX.W 8B/8D, ModRM mod=00 r/m=101, disp32).
movq 1f(%rip),%rax; 1:	# LoadRIP(rax, L1); L1:
movq 1f(%rip),%r13; .skip 9,0xcc; 1:	# LoadRIP(r13, L1); Skip(9); L1:
1: int3; movq 1b(%rip),%r8	# L1:; Int3(); LoadRIP(r8, L1)
leaq 1f(%rip),%rdi; 1:	# LeaRIP(rdi, L1); L1:
1: leaq 1b(%rip),%r12	# L1:; LeaRIP(r12, L1)
# Data.
.quad 0x1122334455667788	# Quad(0x1122334455667788)
.quad 0xfedcba9876543210	# Quad(0xfedcba9876543210)
.long 0xdeadbeef	# Long(0xdeadbeef)
# Patch sites, with the padding each one needs before it (codegen/amd64/sites.go).
# JumpSite: jmp rel32 and three int3 in one aligned qword.
.balign 8; {disp32} jmp 1f; int3; int3; int3; 1:	# JumpSite("j", L1); L1:
int3; .balign 8; {disp32} jmp 1f; int3; int3; int3; 1:	# Int3(); JumpSite("j", L1); L1:
1: .skip 3,0xcc; .balign 8; {disp32} jmp 1b; int3; int3; int3	# L1:; Skip(3); JumpSite("j", L1)
# CallSite: a 3-byte nop and call rel32 filling one aligned qword.
.balign 8; .nops 3; call 1f; 1:	# CallSite("c", L1); L1:
.skip 5,0xcc; .balign 8; .nops 3; call 1f; 1:	# Skip(5); CallSite("c", L1); L1:
1: ret; .balign 8; .nops 3; call 1b	# L1:; Ret(); CallSite("c", L1)
# GuardSite: the 5-byte nop inside one aligned qword, least padding; GuardSite8: the 2-byte nop.
.nops 5; 1:	# GuardSite("g", L1); L1:
.skip 3,0xcc; .nops 5; 1:	# Skip(3); GuardSite("g", L1); L1:
.skip 4,0xcc; .balign 8; .nops 5; 1:	# Skip(4); GuardSite("g", L1); L1:
1: .skip 7,0xcc; .balign 8; .nops 5	# L1:; Skip(7); GuardSite("g", L1)
.nops 2; 1:	# GuardSite8("g", L1); L1:
.skip 6,0xcc; .nops 2; 1:	# Skip(6); GuardSite8("g", L1); L1:
.skip 7,0xcc; .balign 8; .nops 2; 1:	# Skip(7); GuardSite8("g", L1); L1:
1: .skip 100,0xcc; .nops 2	# L1:; Skip(100); GuardSite8("g", L1)
# MovImm32Site: mov r64, imm32 with its immediate (bytes 3-6) inside one aligned qword.
movq $-2,%r9	# MovImm32Site("i", r9, -2)
.skip 2,0xcc; .nops 3; movq $0x12345678,%rax	# Skip(2); MovImm32Site("i", rax, 0x12345678)
.skip 6,0xcc; movq $-0x80000000,%r15	# Skip(6); MovImm32Site("i", r15, -0x80000000)
# MovAbsSite: movabs at an aligned qword (10 bytes: multi-word).
.balign 8; movabsq $0x102030405060708,%rdx	# MovAbsSite("m", rdx, 0x102030405060708, 0)
1: int3; .balign 8; movabsq $-1,%r11	# L1:; Int3(); MovAbsSite("m", r11, -1, L1)
# DataSlot and BindDataSlot: 8 aligned data bytes.
.balign 8; .quad 0xdeadbeef	# DataSlot("d", 0xdeadbeef)
ret; .balign 8; .quad 0x1122334455667788	# Ret(); DataSlot("d", 0x1122334455667788)
movq 1f(%rip),%rax; ret; .balign 8; 1: .quad 7	# LoadRIP(rax, L1); Ret(); BindDataSlot(L1, "d", 7)
