//! Criterion benchmarks. Names are `<group>/<case>`; `cargo xtask bench` runs the
//! Node reference on the same fixtures and prints the ratio per name.

use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn triggers(c: &mut Criterion) {
    let fixtures = bench::fixtures();
    let src = fixtures["trigger"].as_str().expect("trigger");
    let mut group = c.benchmark_group("fql");
    group.bench_function("parse", |b| b.iter(|| engine::fql::parse(black_box(src))));
    let trigger = engine::fql::parse(src)
        .trigger
        .expect("the bench trigger parses");
    for (name, event) in fixtures["events"].as_object().expect("events") {
        group.bench_function(format!("evaluate_{name}"), |b| {
            b.iter(|| trigger.matches(black_box(event)))
        });
    }
    group.finish();
}

/// Iterate's two default mappings and a 20-field one: compiling (the reference's
/// `validate`) and evaluating a compiled plan (the reference's `transform`, which
/// validates again on every call).
fn mappings(c: &mut Criterion) {
    let fixtures = bench::fixtures();
    let mut group = c.benchmark_group("mapping");
    for (name, case) in fixtures["mappings"].as_object().expect("mappings") {
        let mapping = &case["mapping"];
        let event = &fixtures["events"][case["event"].as_str().expect("event name")];
        group.bench_function(format!("compile_{name}"), |b| {
            b.iter(|| engine::mapping::compile(black_box(mapping)))
        });
        let plan = engine::mapping::compile(mapping).expect("the bench mapping compiles");
        group.bench_function(format!("evaluate_{name}"), |b| {
            b.iter(|| plan.evaluate(black_box(event)))
        });
    }
    group.finish();
}

criterion_group!(benches, triggers, mappings);
criterion_main!(benches);
