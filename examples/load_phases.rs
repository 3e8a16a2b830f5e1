use flowscale::cluster::zoom::ClusterBuild;
use flowscale::config::Config;
use flowscale::model::{EdgeInput, NodeInput, Workflow};
use flowscale::spatial::SpatialBuild;
use std::time::Instant;

fn main() {
    let text = std::fs::read_to_string("/tmp/n8n1m.json").unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let f = |k: &str| {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect::<Vec<f64>>()
    };
    let (x, y, w, h, t, s, d) = (f("x"), f("y"), f("w"), f("h"), f("t"), f("s"), f("d"));
    let types: Vec<String> = v["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    let n = x.len();
    let nodes: Vec<NodeInput> = (0..n)
        .map(|i| {
            let mut node =
                NodeInput::new(format!("{}/node-{i}", i / 10), x[i], y[i]).sized(w[i], h[i]);
            node.node_type = Some(types[t[i] as usize].clone());
            node
        })
        .collect();
    let edges: Vec<EdgeInput> = (0..s.len())
        .map(|k| {
            let mut e = EdgeInput::new(format!("e{k}"), "", "");
            e.ends = Some((s[k] as u32, d[k] as u32));
            e
        })
        .collect();
    let cfg = Config::default();
    let t = Instant::now();
    let wf = Workflow::build(nodes, edges, &cfg.workflow).unwrap();
    println!("model {:?}", t.elapsed());
    let t = Instant::now();
    let mut b = SpatialBuild::new(&wf);
    while !b.step(&wf, usize::MAX) {}
    let _ix = b.finish();
    println!("spatial {:?}", t.elapsed());
    let t = Instant::now();
    let mut c = ClusterBuild::new(&wf, &cfg.clustering);
    let mut last = 0.0;
    let mut steps = 0;
    while !c.step(&wf, 50_000) {
        steps += 1;
        let p = c.progress(&wf);
        if (p * 10.0).floor() != (last * 10.0f64).floor() {
            println!("  {:.2} at {:?}", p, t.elapsed());
        }
        last = p;
    }
    println!("clusters {:?} ({steps} steps)", t.elapsed());
    let ix = c.finish();
    for j in 1..=ix.levels() {
        let ids = ix.clusters_at(j);
        let ones = ids.iter().filter(|&&id| ix.count(id) == Some(1)).count();
        println!("  level {j}: {} clusters, {} of one node", ids.len(), ones);
    }
    let t = Instant::now();
    let m = wf.median_node_size();
    println!("median {:?} {m}", t.elapsed());
}
