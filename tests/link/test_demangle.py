"""C++ names demangled as wasm-ld 14 does: the demangler against llvm-cxxfilt-14 (the same
LLVM demangler wasm-ld uses) on every mangled symbol of our C++ fixtures and a hand list,
never an exception on broken input, and linked C++ programs whose name section (and
whole file) is wasm-ld's, with `--demangle` (the default) and `--no-demangle`."""

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from wasmmerge.linker.demangle import demangle

from .harness import compile_sources, link_both, run_wasm_ld, run_wasmmerge_link

HAND_LIST = Path(__file__).with_name("demangle_names.txt")
# Names LLVM reads that we leave mangled, as a demangler does with what it cannot read
# (none at present; a name found later goes here with a note on what it needs).
NOT_READ: set[str] = set()
CXX_FLAGS = ["-std=c++17", "-fno-exceptions", "-nostdinc++"]


def _cxxfilt() -> str:
    for tool in ("llvm-cxxfilt-14", "llvm-cxxfilt"):
        if shutil.which(tool):
            return tool
    pytest.skip("llvm-cxxfilt not found (apt-get install llvm; `make test` installs it)")


def _reference(names) -> list[str]:
    done = subprocess.run([_cxxfilt()], input="\n".join(names) + "\n", capture_output=True, text=True, check=True)
    return done.stdout.split("\n")[:len(names)]


def _mangled_symbols(objects) -> list[str]:
    if shutil.which("llvm-nm") is None:
        pytest.skip("llvm-nm not found (apt-get install llvm; `make test` installs it)")
    names = set()
    for obj in objects:
        out = subprocess.run(["llvm-nm", str(obj)], capture_output=True, text=True, check=True).stdout
        names |= {line.split()[-1] for line in out.splitlines() if line.split() and line.split()[-1].startswith("_Z")}
    return sorted(names)


def _check(names):
    wrong = []
    for name, want in zip(names, _reference(names)):
        got = demangle(name)
        if got != want and not (name in NOT_READ and got == name):
            wrong.append(f"{name}: llvm-cxxfilt {want!r}, ours {got!r}")
    assert not wrong, "\n".join(wrong)


def test_every_symbol_of_the_cxx_fixtures(tmp_path):
    objects = []
    for level, rtti in (("-O0", "-frtti"), ("-O2", "-frtti"), ("-O0", "-fno-rtti")):
        out = tmp_path / level / rtti
        out.mkdir(parents=True)
        objects += compile_sources(["cxxnames/names.cc", "cxxnames/decltype.cc", "cxx/main.cc", "cxx/other.cc",
                                    "cxx/globals.cc"], out,
                                   [*CXX_FLAGS, level, rtti])
    names = _mangled_symbols(objects)
    assert len(names) > 100  # vtables, typeinfo, thunks, templates, lambdas, operators ...
    _check(names)


def test_hand_list():
    names = HAND_LIST.read_text().split()
    _check(names)
    assert demangle("_Z1fIiEDTcl1gfp_EET_") == "decltype(g(fp)) f<int>(int)"
    assert demangle("_Z1fIiEDTXYZfp_EET_") == "_Z1fIiEDTXYZfp_EET_"  # no such expression: left mangled


def test_not_cxx_names_and_broken_ones_come_back_unchanged():
    for name in ("main", "Pi", "_Z", "_ZN", "_Z1fI", "_Z3fooILi", "_ZS_", "_ZT_", "__Z1fv", ""):
        assert demangle(name) == name
    assert demangle("_Z1f" + "P" * 5000 + "i").startswith("_Z1f")  # too deep: left alone
    assert demangle("_Z1x") == "x" and demangle("_ZN1A1xE") == "A::x"  # data symbols: a name only
    rnd = random.Random(7)
    alphabet = "_ZNEIJLSTKVrPROFAMCDGUlt0123456789abcdefghijklmnopqrstuvwxyz$."
    for name in HAND_LIST.read_text().split():
        for cut in range(len(name)):
            assert isinstance(demangle(name[:cut]), str)
        for _ in range(30):
            chars = list(name)
            for _ in range(rnd.randint(1, 3)):
                at = rnd.randrange(len(chars) + 1)
                if rnd.random() < 0.5 and at < len(chars):
                    chars[at] = rnd.choice(alphabet)
                else:
                    chars.insert(at, rnd.choice(alphabet))
            assert isinstance(demangle("".join(chars)), str)


@pytest.mark.parametrize("flag", [None, "--demangle", "--no-demangle"])
def test_linked_name_section_is_wasm_ld_s(flag, tmp_path):
    objects = compile_sources(["cxxnames/names.cc"], tmp_path, [*CXX_FLAGS, "-O0", "-fno-rtti"])
    args = [*([flag] if flag else []), "--no-entry", "--export=run", *map(str, objects), "-o", "out.wasm"]
    ref, ours = link_both(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    if shutil.which("wasm-objdump"):
        names = subprocess.run(["wasm-objdump", "-x", "-j", "name", str(ours)], capture_output=True, text=True).stdout
        wanted = "_ZNK3geo5PointplERKS0_" if flag == "--no-demangle" else "geo::Point::operator+(geo::Point const&) const"
        assert f"<{wanted}>" in names


def test_messages_name_cxx_symbols_demangled(tmp_path):
    (main,) = compile_sources(["cxx/main.cc"], tmp_path, ["-fno-exceptions", "-fno-rtti"])
    base = ["--no-entry", "--export=run", str(main), "-o", "x"]
    done = run_wasmmerge_link(base, tmp_path / "out.wasm")
    assert done.returncode == 1 and "undefined symbol: use_shapes(int)" in done.stderr
    done = run_wasmmerge_link(["--no-demangle", *base], tmp_path / "out.wasm")
    assert done.returncode == 1 and "undefined symbol: _Z10use_shapesi" in done.stderr


def test_linker_made_functions_are_named_as_wasm_ld_names_them(tmp_path):
    """`undefined_weak:maybe(int)`, `ns::apply(int) (.command_export)`, and an export_name'd
    C++ function exported under its plain name: the module and map are wasm-ld's."""
    objects = compile_sources(["cxxnames/exports.cc", "cxxnames/impl.cc"], tmp_path, ["-fno-exceptions", "-fno-rtti"])
    args = ["--no-entry", "--export-dynamic", *map(str, objects), "-o", "out.wasm"]
    ref, ours = tmp_path / "ref.wasm", tmp_path / "ours.wasm"
    done = run_wasm_ld([*args, f"-Map={tmp_path / 'ref.map'}"], ref)
    assert done.returncode == 0, done.stderr
    done = run_wasmmerge_link([*args, f"-Map={tmp_path / 'ours.map'}"], ours)
    assert done.returncode == 0, done.stderr
    assert ours.read_bytes() == ref.read_bytes()
    assert (tmp_path / "ours.map").read_text() == (tmp_path / "ref.map").read_text()
    if shutil.which("wasm-objdump"):
        listing = subprocess.run(["wasm-objdump", "-x", str(ours)], capture_output=True, text=True).stdout
        for name in ("<undefined_weak:maybe(int)>", "<ns::apply(int) (.command_export)>", '-> "exported_cxx"'):
            assert name in listing


@pytest.mark.parametrize("flags", [
    ["--export=_Z7missingv"], ["--entry=_Z7missingv"], ["--export=__main_argc_argv"], ["--entry=__main_argc_argv"],
    ["--export=_Z7missingv", "--warn-unresolved-symbols"],
])
def test_names_from_the_command_line_are_printed_as_given(flags, tmp_path):
    """Found by the C++ sweep: an --export or entry name no symbol answers is printed as
    given, as wasm-ld prints it (we demangled `_Z7missingv` to `missing()` and printed
    `__main_argc_argv` as `main`, as for a symbol's name)."""
    objects = compile_sources(["cxxnames/exports.cc", "cxxnames/impl.cc"], tmp_path, ["-fno-exceptions", "-fno-rtti"])
    args = ["--export-dynamic", *flags, *map(str, objects), "-o", "out.wasm"]
    if not any(flag.startswith("--entry") for flag in flags):
        args.insert(0, "--no-entry")
    ref, ours = run_wasm_ld(args, tmp_path / "ref.wasm"), run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ours.returncode == ref.returncode
    assert ours.stderr.replace("wasmmerge: ", "") == ref.stderr.replace("wasm-ld: ", "")


def test_files_named_like_cxx_symbols_are_not_demangled(tmp_path):
    """wasm-ld demangles symbols, never files: a duplicate C++ symbol between `impl.o` and
    its copy `_Z4impl.o` names the copy as it is (we printed it `impl (.o)`), and so does
    an undefined symbol's list of referrers; the symbols stay demangled."""
    exports, impl = compile_sources(["cxxnames/exports.cc", "cxxnames/impl.cc"], tmp_path,
                                    ["-fno-exceptions", "-fno-rtti"])
    copy = tmp_path / "_Z4impl.o"
    shutil.copy(impl, copy)
    args = ["--no-entry", "--export-dynamic", str(exports), str(impl), str(copy), "-o", "out.wasm"]
    ref, ours = run_wasm_ld(args, tmp_path / "ref.wasm"), run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 1 and f">>> defined in {copy}" in ref.stderr
    assert ours.stderr.replace("wasmmerge: ", "") == ref.stderr.replace("wasm-ld: ", "")
    moved = tmp_path / "_Z7exports.o"
    shutil.copy(exports, moved)
    done = run_wasmmerge_link(["--no-entry", "--export-dynamic", str(moved), "-o", "out.wasm"], tmp_path / "ours.wasm")
    assert done.returncode == 1 and f"(referenced by {moved})" in done.stderr and "undefined symbol: compute(int)" in done.stderr
