use super::*;

fn cfg() -> WorkflowConfig {
    WorkflowConfig::default()
}

fn n(id: &str, x: f64, y: f64) -> NodeInput {
    NodeInput::new(id, x, y).sized(100.0, 50.0)
}

fn build(nodes: Vec<NodeInput>, edges: Vec<EdgeInput>) -> Result<Workflow> {
    Workflow::build(nodes, edges, &cfg())
}

fn err(r: Result<Workflow>) -> (ErrorCode, String) {
    let e = r.expect_err("expected an error");
    (e.code, e.path.unwrap_or_default())
}

#[test]
fn child_positions_are_relative_to_parents_in_any_order() {
    // The grandchild comes first: parents need not precede children.
    let wf = build(
        vec![
            n("c", 5.0, 6.0).child_of("b"),
            n("a", 100.0, 200.0),
            n("b", 10.0, 20.0).child_of("a"),
        ],
        vec![],
    )
    .unwrap();
    let c = wf.index_of("c").unwrap();
    let r = wf.rect(c);
    assert_eq!((r.x, r.y), (115.0, 226.0));
    assert_eq!(wf.parent(c), wf.index_of("b"));
    assert_eq!(
        wf.children(wf.index_of("a").unwrap()),
        &[wf.index_of("b").unwrap()]
    );
}

#[test]
fn default_size_applies_to_unsized_nodes() {
    let wf = build(vec![NodeInput::new("a", 0.0, 0.0)], vec![]).unwrap();
    let r = wf.rect(0);
    assert_eq!((r.width, r.height), (150.0, 40.0));
}

#[test]
fn bad_inputs_give_code_and_path() {
    assert_eq!(
        err(build(vec![n("a", 0.0, 0.0), n("a", 1.0, 1.0)], vec![])),
        (ErrorCode::DuplicateId, "nodes[1].id".into())
    );
    assert_eq!(
        err(build(vec![n("a", 0.0, 0.0), n("b", f64::NAN, 1.0)], vec![])),
        (ErrorCode::NonFinite, "nodes[1].position.x".into())
    );
    assert_eq!(
        err(build(vec![n("a", 0.0, f64::INFINITY)], vec![])),
        (ErrorCode::NonFinite, "nodes[0].position.y".into())
    );
    assert_eq!(
        err(build(vec![n("a", 0.0, 1e30)], vec![])),
        (ErrorCode::OutOfRange, "nodes[0].position.y".into())
    );
    assert_eq!(
        err(build(
            vec![NodeInput::new("a", 0.0, 0.0).sized(-1.0, 5.0)],
            vec![]
        )),
        (ErrorCode::NegativeSize, "nodes[0].width".into())
    );
    let mut m = NodeInput::new("a", 0.0, 0.0);
    m.height = Some(SizeValue {
        value: f64::NEG_INFINITY,
        source: SizeSource::Measured,
    });
    assert_eq!(
        err(build(vec![m], vec![])),
        (ErrorCode::NonFinite, "nodes[0].measured.height".into())
    );
    assert_eq!(
        err(build(vec![n("a", 0.0, 0.0).child_of("zz")], vec![])),
        (ErrorCode::DanglingParent, "nodes[0].parentId".into())
    );
    assert_eq!(
        err(build(vec![n("a", 0.0, 0.0).child_of("a")], vec![])),
        (ErrorCode::ParentCycle, "nodes[0].parentId".into())
    );
    assert_eq!(
        err(build(
            vec![
                n("a", 0.0, 0.0).child_of("c"),
                n("b", 0.0, 0.0).child_of("a"),
                n("c", 0.0, 0.0).child_of("b")
            ],
            vec![]
        ))
        .0,
        ErrorCode::ParentCycle
    );
    assert_eq!(
        err(build(
            vec![n("a", 0.0, 0.0)],
            vec![EdgeInput::new("e", "a", "b")]
        )),
        (ErrorCode::DanglingEdge, "edges[0].target".into())
    );
    assert_eq!(
        err(build(
            vec![n("a", 0.0, 0.0)],
            vec![EdgeInput::new("e", "a", "a"), EdgeInput::new("e", "a", "a")]
        )),
        (ErrorCode::DuplicateId, "edges[1].id".into())
    );
    let small = WorkflowConfig {
        max_nodes: 1,
        ..cfg()
    };
    let e = Workflow::build(vec![n("a", 0.0, 0.0), n("b", 0.0, 0.0)], vec![], &small).unwrap_err();
    assert_eq!(
        (e.code, e.path.as_deref()),
        (ErrorCode::LimitExceeded, Some("nodes"))
    );
}

#[test]
fn empty_and_self_loop_workflows_are_fine() {
    let wf = build(vec![], vec![]).unwrap();
    assert_eq!(wf.node_count(), 0);
    let wf = build(vec![n("a", 0.0, 0.0)], vec![EdgeInput::new("e", "a", "a")]).unwrap();
    assert_eq!(wf.incident_edges(0).collect::<Vec<_>>(), [0]);
    assert_eq!(wf.edge_rect(0), wf.rect(0));
}

fn pos(id: &str, x: f64, y: f64) -> NodeChange {
    NodeChange::Position {
        id: id.into(),
        position: Some((x, y)),
        dragging: None,
    }
}

/// Id, rectangle, parent, selected, incident edges of every live node.
type Snapshot = Vec<(String, [f64; 4], Option<u32>, bool, Vec<u32>)>;

fn snapshot(wf: &Workflow) -> Snapshot {
    wf.live_slots()
        .map(|i| {
            let r = wf.rect(i);
            (
                wf.id(i).unwrap().to_string(),
                [r.x, r.y, r.width, r.height],
                wf.parent(i),
                wf.is_selected(i),
                wf.incident_edges(i).collect(),
            )
        })
        .collect()
}

#[test]
fn moving_a_parent_moves_its_descendants() {
    let mut wf = build(
        vec![
            n("a", 0.0, 0.0),
            n("b", 10.0, 10.0).child_of("a"),
            n("c", 1.0, 1.0).child_of("b"),
        ],
        vec![],
    )
    .unwrap();
    wf.apply_node_changes(vec![pos("a", 100.0, 0.0)], 10)
        .unwrap();
    assert_eq!(wf.rect(2).x, 111.0);
    // A child's position stays relative.
    wf.apply_node_changes(vec![pos("c", 0.0, 0.0)], 10).unwrap();
    assert_eq!((wf.rect(2).x, wf.rect(2).y), (110.0, 10.0));
}

#[test]
fn a_rejected_batch_changes_nothing() {
    let mut wf = build(
        vec![n("a", 0.0, 0.0), n("b", 10.0, 10.0).child_of("a")],
        vec![EdgeInput::new("e", "a", "b")],
    )
    .unwrap();
    let before = snapshot(&wf);
    let bad_batches: Vec<(Vec<NodeChange>, ErrorCode)> = vec![
        (
            vec![pos("a", 5.0, 5.0), pos("a", f64::NAN, 0.0)],
            ErrorCode::NonFinite,
        ),
        (
            vec![pos("a", 5.0, 5.0), pos("zz", 0.0, 0.0)],
            ErrorCode::UnknownId,
        ),
        (
            vec![NodeChange::Add {
                item: n("b", 0.0, 0.0),
            }],
            ErrorCode::DuplicateId,
        ),
        (
            vec![NodeChange::Remove { id: "a".into() }],
            ErrorCode::DanglingParent,
        ),
        (
            vec![NodeChange::Replace {
                id: "a".into(),
                item: n("a", 0.0, 0.0).child_of("b"),
            }],
            ErrorCode::ParentCycle,
        ),
        (
            vec![
                NodeChange::Add {
                    item: n("x", 0.0, 0.0).child_of("a"),
                },
                NodeChange::Remove { id: "b".into() },
                NodeChange::Remove { id: "a".into() },
            ],
            ErrorCode::DanglingParent,
        ),
        (
            vec![NodeChange::Dimensions {
                id: "a".into(),
                dimensions: Some((-1.0, 3.0)),
            }],
            ErrorCode::NegativeSize,
        ),
    ];
    for (batch, code) in bad_batches {
        let e = wf.apply_node_changes(batch.clone(), 100).unwrap_err();
        assert_eq!(e.code, code, "{batch:?}");
        assert_eq!(snapshot(&wf), before, "{batch:?}");
    }
}

#[test]
fn removing_parent_with_children_in_one_batch_in_any_order() {
    let mut wf = build(
        vec![
            n("a", 0.0, 0.0),
            n("b", 10.0, 10.0).child_of("a"),
            n("c", 0.0, 0.0),
        ],
        vec![EdgeInput::new("e", "a", "c")],
    )
    .unwrap();
    let fx = wf
        .apply_node_changes(
            vec![
                NodeChange::Remove { id: "a".into() },
                NodeChange::Remove { id: "b".into() },
            ],
            10,
        )
        .unwrap();
    assert_eq!(fx.removed.len(), 2);
    assert_eq!(fx.edges_removed, vec![0]);
    assert_eq!(wf.node_count(), 1);
    assert_eq!(wf.edge_count(), 0);
    assert!(wf.incident_edges(2).next().is_none());
    // Freed slots are reused; other slots keep their index.
    let fx = wf
        .apply_node_changes(
            vec![NodeChange::Add {
                item: n("d", 0.0, 0.0),
            }],
            10,
        )
        .unwrap();
    assert!(fx.touched[0] < 2);
    assert_eq!(wf.index_of("c"), Some(2));
}

#[test]
fn re_parenting_before_removal_is_allowed() {
    let mut wf = build(
        vec![
            n("a", 0.0, 0.0),
            n("b", 10.0, 10.0).child_of("a"),
            n("c", 50.0, 0.0),
        ],
        vec![],
    )
    .unwrap();
    wf.apply_node_changes(
        vec![
            NodeChange::Remove { id: "a".into() },
            NodeChange::Replace {
                id: "b".into(),
                item: n("b", 1.0, 1.0).child_of("c"),
            },
        ],
        10,
    )
    .unwrap();
    let b = wf.index_of("b").unwrap();
    assert_eq!((wf.rect(b).x, wf.rect(b).y), (51.0, 1.0));
}

#[test]
fn edge_changes_are_atomic() {
    let mut wf = build(
        vec![n("a", 0.0, 0.0), n("b", 0.0, 0.0)],
        vec![EdgeInput::new("e", "a", "b")],
    )
    .unwrap();
    let e = wf
        .apply_edge_changes(
            vec![
                EdgeChange::Add {
                    item: EdgeInput::new("f", "a", "b"),
                },
                EdgeChange::Add {
                    item: EdgeInput::new("g", "a", "zz"),
                },
            ],
            10,
        )
        .unwrap_err();
    assert_eq!(
        (e.code, e.path.as_deref()),
        (ErrorCode::DanglingEdge, Some("changes[1].item.target"))
    );
    assert_eq!(wf.edge_count(), 1);
    wf.apply_edge_changes(
        vec![
            EdgeChange::Remove { id: "e".into() },
            EdgeChange::Add {
                item: EdgeInput::new("e", "b", "a"),
            },
        ],
        10,
    )
    .unwrap();
    assert_eq!(wf.edge_count(), 1);
    let e = wf.edge_index_of("e").unwrap();
    assert_eq!(wf.edge_ends_of(e), (1, 0));
}

#[test]
fn edge_ends_resolved_by_the_caller_build_the_same_workflow() {
    let nodes = || vec![n("a", 0.0, 0.0), n("b", 300.0, 0.0), n("c", 0.0, 300.0)];
    let by_id = build(
        nodes(),
        vec![
            EdgeInput::new("e1", "a", "b"),
            EdgeInput::new("e2", "c", "c"),
        ],
    )
    .unwrap();
    let resolved = |id: &str, s: u32, t: u32| EdgeInput {
        id: id.into(),
        ends: Some((s, t)),
        ..Default::default()
    };
    let by_slot = build(nodes(), vec![resolved("e1", 0, 1), resolved("e2", 2, 2)]).unwrap();
    for e in 0..2 {
        assert_eq!(by_id.edge_ends_of(e), by_slot.edge_ends_of(e));
        assert_eq!(by_id.edge_rect(e), by_slot.edge_rect(e));
    }
    assert_eq!(by_slot.incident_edges(2).collect::<Vec<_>>(), [1]);
    // NONE, or an index past the nodes, is a dangling end named by its id.
    let mut dangling = resolved("e1", 0, NONE);
    dangling.target = "zz".into();
    let e = build(nodes(), vec![dangling]).unwrap_err();
    assert_eq!(
        (e.code, e.path.as_deref()),
        (ErrorCode::DanglingEdge, Some("edges[0].target"))
    );
    assert!(e.message.contains("\"zz\""), "{}", e.message);
    assert_eq!(
        err(build(nodes(), vec![resolved("e1", 3, 0)])),
        (ErrorCode::DanglingEdge, "edges[0].source".into())
    );
}

/// Everything the compact structures must agree on, against brute force:
/// ids both ways, incident lists (each incident live edge once), and the
/// parent tree both ways.
fn check_consistent(wf: &Workflow) {
    let mut seen = vec![0u32; wf.edge_slot_count()];
    for i in wf.live_slots() {
        let id = wf.id(i).unwrap();
        assert_eq!(wf.index_of(id), Some(i), "{id}");
        let mut listed: Vec<u32> = wf.incident_edges(i).collect();
        listed.sort_unstable();
        let expect: Vec<u32> = wf
            .live_edge_slots()
            .filter(|&e| {
                let (s, t) = wf.edge_ends_of(e);
                s == i || t == i
            })
            .collect();
        assert_eq!(listed, expect, "incident edges of {id}");
        for &e in &listed {
            seen[e as usize] += 1;
        }
        for &c in wf.children(i) {
            assert_eq!(wf.parent(c), Some(i));
        }
        if let Some(p) = wf.parent(i) {
            assert!(wf.children(p).contains(&i));
        }
    }
    for e in wf.live_edge_slots() {
        let id = wf.edge_id(e).unwrap();
        assert_eq!(wf.edge_index_of(id), Some(e), "{id}");
        let (s, t) = wf.edge_ends_of(e);
        assert_eq!(seen[e as usize], if s == t { 1 } else { 2 });
    }
}

#[test]
fn compact_structures_stay_consistent_through_many_edits() {
    // A fixed xorshift: the same edits on every run.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut rng = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let nodes: Vec<NodeInput> = (0..40)
        .map(|k| {
            let node = n(&format!("node-{k}"), k as f64, 0.0);
            if k % 5 == 4 {
                node.child_of(format!("node-{}", k - 1))
            } else {
                node
            }
        })
        .collect();
    let edges: Vec<EdgeInput> = (0..60)
        .map(|k| {
            let (s, t) = (k % 40, (k * 7) % 40);
            EdgeInput::new(format!("e{k}"), format!("node-{s}"), format!("node-{t}"))
        })
        .collect();
    let mut wf = build(nodes, edges).unwrap();
    check_consistent(&wf);
    let (mut next_node, mut next_edge) = (40, 60);
    for round in 0..3000 {
        let live: Vec<String> = wf.live_slots().map(|i| wf.id(i).unwrap().into()).collect();
        match rng(4) {
            0 if !live.is_empty() => {
                // A leaf, with its edges; ids of many lengths exercise reuse in place.
                let id = &live[rng(live.len())];
                let i = wf.index_of(id).unwrap();
                if wf.children(i).is_empty() {
                    wf.apply_node_changes(vec![NodeChange::Remove { id: id.clone() }], 1000)
                        .unwrap();
                }
            }
            1 => {
                let id = format!("n{next_node}-{}", "x".repeat(rng(40)));
                next_node += 1;
                let mut item = n(&id, 1.0, 2.0);
                if !live.is_empty() && rng(3) == 0 {
                    item = item.child_of(live[rng(live.len())].clone());
                }
                wf.apply_node_changes(vec![NodeChange::Add { item }], 1000)
                    .unwrap();
            }
            2 if !live.is_empty() => {
                let (s, t) = (&live[rng(live.len())], &live[rng(live.len())]);
                let id = format!("edge-{next_edge}{}", "y".repeat(rng(30)));
                next_edge += 1;
                wf.apply_edge_changes(
                    vec![EdgeChange::Add {
                        item: EdgeInput::new(id, s.clone(), t.clone()),
                    }],
                    10_000,
                )
                .unwrap();
            }
            _ => {
                let edges: Vec<u32> = wf.live_edge_slots().collect();
                if !edges.is_empty() {
                    let id = wf.edge_id(edges[rng(edges.len())]).unwrap().to_string();
                    wf.apply_edge_changes(vec![EdgeChange::Remove { id }], 10_000)
                        .unwrap();
                }
            }
        }
        if round % 7 == 0 {
            check_consistent(&wf);
        }
    }
    check_consistent(&wf);
}

#[test]
fn handles_and_edge_kinds_share_a_byte_with_the_state_bits() {
    let side = |source, target| Handles { source, target };
    let mut a = n("a", 0.0, 0.0);
    a.handles = side(Side::Left, Side::Right);
    a.selected = true;
    let mut e = EdgeInput::new("e", "a", "b");
    e.kind = EdgeKind::SmoothStep;
    e.hidden = true;
    let mut wf = build(vec![a, n("b", 0.0, 0.0)], vec![e]).unwrap();
    assert_eq!(wf.handles(0), side(Side::Left, Side::Right));
    assert_eq!(wf.handles(1), Handles::default());
    assert!(wf.is_selected(0) && !wf.is_hidden(0));
    assert_eq!(wf.edge_kind(0), EdgeKind::SmoothStep);
    assert!(!wf.edge_shown(0) && !wf.edge_selected(0));
    wf.set_dragging(0, true);
    wf.set_selected(0, false);
    wf.set_hidden(0, true);
    wf.set_edge_selected(0, true);
    assert_eq!(wf.handles(0), side(Side::Left, Side::Right));
    assert_eq!(wf.edge_kind(0), EdgeKind::SmoothStep);
    assert!(wf.is_dragging(0) && wf.is_hidden(0) && !wf.is_selected(0));
    assert!(wf.edge_selected(0));
    let mut b = n("a", 1.0, 1.0);
    b.handles = side(Side::Top, Side::Bottom);
    wf.replace_node(0, b, &mut Vec::new());
    assert_eq!(wf.handles(0), side(Side::Top, Side::Bottom));
    assert!(wf.is_dragging(0) && !wf.is_hidden(0));
    wf.remove_edge(0);
    assert!(!wf.edge_alive(0));
    let mut removed = Vec::new();
    wf.remove_node(0, &mut removed);
    assert!(!wf.is_alive(0) && !wf.is_shown(0) && !wf.is_dragging(0));
}
