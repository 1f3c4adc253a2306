// mimalloc: linting builds and drops many small strings; glibc's malloc and free were about a
// sixth of the lint time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(firedrill::cli::main());
}
