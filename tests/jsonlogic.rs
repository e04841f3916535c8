#![cfg(not(target_arch = "wasm32"))]
//! JsonLogic: the shared conformance file, compile errors, cost limits, the
//! merchant operators and JavaScript-semantics details, natively.

use std::time::{Duration, Instant};

use edge_personalize::json::{parse, to_json_string, Value};
use edge_personalize::logic::{conformance_cases, eval_json, truthy, values_equal, Condition, Scope};
use edge_personalize::{Error, ErrorCode};

const COMPATIBLE: &str = include_str!("../../shared/conformance/jsonlogic/compatible.json");

fn json(text: &str) -> Value {
    match parse(text) {
        Ok(v) => v,
        Err(e) => panic!("test JSON {text:?}: {e}"),
    }
}

fn eval(rule: &str, data: &str) -> Result<Value, Error> {
    eval_json(&json(rule), &json(data))
}

fn compile_err(rule: &Value) -> Error {
    match Condition::compile(rule) {
        Ok(c) => panic!("{} compiled: {c:?}", to_json_string(rule)),
        Err(e) => e,
    }
}

#[test]
fn conformance_file_passes_completely() {
    let cases = match conformance_cases(COMPATIBLE) {
        Ok(c) => c,
        Err(e) => panic!("conformance file: {e}"),
    };
    let mut failures = Vec::new();
    let mut executed = 0;
    for (description, rule, data, expected) in &cases {
        executed += 1;
        match eval_json(rule, data) {
            Ok(got) if values_equal(&got, expected) => {}
            Ok(got) => failures.push(format!(
                "{description}: rule {} data {} => {} (want {})",
                to_json_string(rule),
                to_json_string(data),
                to_json_string(&got),
                to_json_string(expected)
            )),
            Err(e) => failures.push(format!("{description}: error {e}")),
        }
    }
    let passed = executed - failures.len();
    println!("jsonlogic conformance: {passed}/{executed}");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(executed, 278, "the conformance file should hold exactly 278 cases");
}

#[test]
fn compile_errors_have_code_path_and_message() {
    // [rule, code, path, message]
    let table = json(
        r#"[
        [{"=~": [1, 2]}, "UNKNOWN_OPERATOR", "", "unknown operator \"=~\""],
        [{"and": [true, {"=~": [1]}]}, "UNKNOWN_OPERATOR", "and[1]", "unknown operator \"=~\""],
        [{"and": [true, {"or": [{"nope": 1}, 2]}]}, "UNKNOWN_OPERATOR", "and[1].or[0]", "unknown operator \"nope\""],
        [[1, {"if": [true, {"frob": []}]}], "UNKNOWN_OPERATOR", "[1].if[1]", "unknown operator \"frob\""],
        [{"!": {"bad op": 1}}, "UNKNOWN_OPERATOR", "!", "unknown operator \"bad op\""],
        [{"in": ["x", [1, {"zz": 0}]]}, "UNKNOWN_OPERATOR", "in[1][1]", "unknown operator \"zz\""],
        [{"map": [[1], {"x": 1}]}, "UNKNOWN_OPERATOR", "map[1]", "unknown operator \"x\""],
        [{"==": [1]}, "BAD_ARITY", "", "\"==\" takes 2 arguments, got 1"],
        [{"and": [{"===": [1, 2, 3]}]}, "BAD_ARITY", "and[0]", "\"===\" takes 2 arguments, got 3"],
        [{"<": [1]}, "BAD_ARITY", "", "\"<\" takes 2 or 3 arguments, got 1"],
        [{"<=": [1, 2, 3, 4]}, "BAD_ARITY", "", "\"<=\" takes 2 or 3 arguments, got 4"],
        [{">": [1, 2, 3]}, "BAD_ARITY", "", "\">\" takes 2 arguments, got 3"],
        [{"!": []}, "BAD_ARITY", "", "\"!\" takes 1 argument, got 0"],
        [{"and": []}, "BAD_ARITY", "", "\"and\" takes at least 1 argument, got 0"],
        [{"or": []}, "BAD_ARITY", "", "\"or\" takes at least 1 argument, got 0"],
        [{"-": [1, 2, 3]}, "BAD_ARITY", "", "\"-\" takes 1 or 2 arguments, got 3"],
        [{"*": []}, "BAD_ARITY", "", "\"*\" takes at least 1 argument, got 0"],
        [{"max": []}, "BAD_ARITY", "", "\"max\" takes at least 1 argument, got 0"],
        [{"%": [1]}, "BAD_ARITY", "", "\"%\" takes 2 arguments, got 1"],
        [{"/": [1, 2, 3]}, "BAD_ARITY", "", "\"/\" takes 2 arguments, got 3"],
        [{"in": ["a"]}, "BAD_ARITY", "", "\"in\" takes 2 arguments, got 1"],
        [{"substr": ["a"]}, "BAD_ARITY", "", "\"substr\" takes 2 or 3 arguments, got 1"],
        [{"var": ["a", 1, 2]}, "BAD_ARITY", "", "\"var\" takes 0 to 2 arguments, got 3"],
        [{"missing_some": [1]}, "BAD_ARITY", "", "\"missing_some\" takes 2 arguments, got 1"],
        [{"map": [[1]]}, "BAD_ARITY", "", "\"map\" takes 2 arguments, got 1"],
        [{"filter": [[1], true, 3]}, "BAD_ARITY", "", "\"filter\" takes 2 arguments, got 3"],
        [{"reduce": [[1]]}, "BAD_ARITY", "", "\"reduce\" takes 2 or 3 arguments, got 1"],
        [{"all": [[1]]}, "BAD_ARITY", "", "\"all\" takes 2 arguments, got 1"],
        [{"some": [[1]]}, "BAD_ARITY", "", "\"some\" takes 2 arguments, got 1"],
        [{"none": [[1]]}, "BAD_ARITY", "", "\"none\" takes 2 arguments, got 1"],
        [{"log": [1, 2]}, "BAD_ARITY", "", "\"log\" takes 1 argument, got 2"],
        [{"viewed_within": ["sku"]}, "BAD_ARITY", "", "\"viewed_within\" takes 2 arguments, got 1"],
        [{"viewed_category_within": ["c", 1, 2]}, "BAD_ARITY", "", "\"viewed_category_within\" takes 2 arguments, got 3"],
        [{"affinity": ["brand"]}, "BAD_ARITY", "", "\"affinity\" takes 2 arguments, got 1"],
        [{"affinity_above": ["brand", "x"]}, "BAD_ARITY", "", "\"affinity_above\" takes 3 arguments, got 2"],
        [{"in_cart": []}, "BAD_ARITY", "", "\"in_cart\" takes 1 argument, got 0"],
        [{"purchased": ["a", "b"]}, "BAD_ARITY", "", "\"purchased\" takes 1 argument, got 2"],
        [{"if": [true, {"or": [true, {"!!": [1, 2]}]}]}, "BAD_ARITY", "if[1].or[1]", "\"!!\" takes 1 argument, got 2"]
    ]"#,
    );
    for row in table.as_array().unwrap_or(&[]) {
        let cells = row.as_array().unwrap_or(&[]);
        let [rule, code, path, message] = cells else { panic!("bad row {row:?}") };
        let e = compile_err(rule);
        let what = to_json_string(rule);
        assert_eq!(Some(e.code.as_str()), code.as_str(), "{what}: {e}");
        assert_eq!(Some(e.path.as_str()), path.as_str(), "{what}: {e}");
        assert_eq!(Some(e.message.as_str()), message.as_str(), "{what}");
    }
    // Error::at prefixes the rule's place in a rule set.
    let e = compile_err(&json(r#"{"and": [true, {"=~": 1}]}"#)).at("rules[3].condition");
    assert_eq!(e.path, "rules[3].condition.and[1]");
}

#[test]
fn compile_bounds_depth_and_size() {
    use edge_personalize::limits::{MAX_RULE_DEPTH, MAX_RULE_NODES};
    // MAX_RULE_DEPTH nested operations compile; one more does not.
    // Built in code: as JSON text, 33 levels of {"!": [..]} are 66 levels,
    // which the parser (MAX_JSON_DEPTH) refuses before compile sees them.
    let op = |name: &str, args: Vec<Value>| {
        let mut m = edge_personalize::json::Map::new();
        m.insert(name, Value::Array(args));
        Value::Object(m)
    };
    let nest = |n: usize| (0..n).fold(Value::Bool(true), |inner, _| op("!", vec![inner]));
    assert!(Condition::compile(&nest(MAX_RULE_DEPTH)).is_ok());
    let e = compile_err(&nest(MAX_RULE_DEPTH + 1));
    assert_eq!(e.code, ErrorCode::TooDeep, "{e}");
    assert_eq!(e.path, vec!["![0]"; MAX_RULE_DEPTH].join("."));
    // A deep Value built in code (no parser limit) is refused, not recursed into.
    let deep = nest(100_000);
    assert_eq!(compile_err(&deep).code, ErrorCode::TooDeep);
    std::mem::forget(deep); // dropping 100k levels would recurse; not the engine's concern

    // Nodes: the `+` and MAX_RULE_NODES - 1 arguments fit; one more does not.
    let plus = |n: usize| op("+", vec![Value::Number(1.0); n]);
    assert!(Condition::compile(&plus(MAX_RULE_NODES - 1)).is_ok());
    let e = compile_err(&plus(MAX_RULE_NODES));
    assert_eq!((e.code, e.path.as_str()), (ErrorCode::TooLarge, "+[4095]"), "{e}");
    // A literal list (e.g. of SKUs) is one node, whatever its length.
    let skus: Vec<Value> = (0..20_000).map(|i| Value::String(format!("sku-{i}"))).collect();
    let c = Condition::compile(&op("in", vec![json(r#"{"var": "id"}"#), Value::Array(skus)]));
    assert!(c.is_ok());
    let found = c.and_then(|c| c.eval(&json(r#"{"id": "sku-19999"}"#)));
    assert_eq!(found, Ok(Value::Bool(true)));
}

fn big_array(n: usize) -> String {
    let items: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    format!("[{}]", items.join(","))
}

fn assert_stops(rule: &str, data: &str, code: ErrorCode) {
    let started = Instant::now();
    let r = eval(rule, data);
    let took = started.elapsed();
    match r {
        Err(e) => assert_eq!(e.code, code, "{rule}: {e}"),
        Ok(v) => panic!("{rule} finished with {}", to_json_string(&v)),
    }
    assert!(took < Duration::from_secs(2), "{rule} took {took:?}");
}

#[test]
fn hostile_rules_hit_the_step_limit() {
    let data = format!("{{\"xs\": {}}}", big_array(5_000));
    // Nested map over a merge of big arrays: cheap in nodes, quadratic in work.
    assert_stops(
        r#"{"map": [{"merge": [{"var": "xs"}, {"var": "xs"}]},
                    {"map": [{"merge": [[1,2,3,4,5,6,7,8], [9,10]]}, {"+": [{"var": ""}, 1]}]}]}"#,
        &data,
        ErrorCode::StepLimit,
    );
    // A reduce whose body reduces again over the whole list.
    assert_stops(
        r#"{"reduce": [{"var": "xs"}, {"+": [{"var": "accumulator"}, {"reduce": [[1,2,3,4,5,6,7,8,9,10], {"+": [{"var": "accumulator"}, 1]}, 0]}]}, 0]}"#,
        &data,
        ErrorCode::StepLimit,
    );
    // Long flat reduce over a large array from the data.
    let huge = format!("{{\"xs\": {}}}", big_array(60_000));
    assert_stops(
        r#"{"reduce": [{"var": "xs"}, {"+": [{"var": "accumulator"}, {"var": "current"}]}, 0]}"#,
        &huge,
        ErrorCode::StepLimit,
    );
    // Growing a string: cat charges for what it builds.
    assert_stops(
        r#"{"reduce": [{"var": "xs"}, {"cat": [{"var": "accumulator"}, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]}, ""]}"#,
        &data,
        ErrorCode::StepLimit,
    );
    // Passing the accumulator through costs steps too, never a copy per element.
    assert_stops(r#"{"reduce": [{"var": "xs"}, {"var": "accumulator"}, {"var": "xs"}]}"#, &huge, ErrorCode::StepLimit);
    // Accumulating a list by merge: each copy is charged.
    assert_stops(
        r#"{"reduce": [{"var": "xs"}, {"merge": [{"var": "accumulator"}, [{"var": "current"}]]}, []]}"#,
        &data,
        ErrorCode::StepLimit,
    );
    // Within budget, the same shapes work.
    assert_eq!(
        eval(r#"{"reduce": [{"var": "xs"}, {"+": [{"var": "accumulator"}, {"var": "current"}]}, 0]}"#, &data),
        Ok(Value::Number(12_497_500.0))
    );
    assert_eq!(
        eval(r#"{"reduce": [{"var": "xs"}, {"var": "accumulator"}, 7]}"#, &data),
        Ok(Value::Number(7.0))
    );
}

#[test]
fn built_arrays_and_nesting_are_bounded() {
    use edge_personalize::limits::MAX_EVAL_ARRAY;
    let data = format!("{{\"xs\": {}}}", big_array(6_000));
    assert_stops(r#"{"merge": [{"var": "xs"}, {"var": "xs"}]}"#, &data, ErrorCode::TooLarge);
    let ok = eval(r#"{"merge": [{"var": "xs"}, [1, 2]]}"#, &data);
    assert_eq!(ok.map(|v| v.as_array().map(<[Value]>::len)), Ok(Some(6_002)));
    let over = format!("{{\"xs\": {}}}", big_array(MAX_EVAL_ARRAY + 1));
    assert_stops(r#"{"map": [{"var": "xs"}, 1]}"#, &over, ErrorCode::TooLarge);
    assert_stops(r#"{"filter": [{"var": "xs"}, true]}"#, &over, ErrorCode::TooLarge);
    // A reduce that wraps its accumulator once per element stops at MAX_JSON_DEPTH.
    assert_stops(r#"{"reduce": [{"var": "xs"}, [{"var": "accumulator"}], 0]}"#, &data, ErrorCode::TooDeep);
}

/// The session the merchant operators read on plain data (see `logic::merchant`).
const SESSION: &str = r#"{
    "item": {"id": "sku-2", "category": "shoes", "brand": "acme", "related": ["sku-9", "sku-7"]},
    "session": {
        "recent": [
            {"item": "sku-1", "category": "shoes", "brand": "acme", "type": "product_view", "ageSeconds": 30},
            {"item": "sku-5", "category": "hats", "brand": "zeta", "type": "product_view", "ageSeconds": 4000}
        ],
        "affinity": {"item": {"sku-1": 2.5}, "category": {"shoes": 0.8, "home.garden": 0.3}, "brand": {"acme": 1}},
        "cart": [{"item": "sku-7", "quantity": 2}, {"item": "sku-8", "quantity": 0}],
        "purchased": ["sku-3"]
    }
}"#;

#[test]
fn merchant_operators_on_plain_data() {
    let table = json(
        r#"[
        [{"viewed_within": ["sku-1", 60]}, true],
        [{"viewed_within": ["sku-1", 10]}, false],
        [{"viewed_within": ["sku-5", 3600]}, false],
        [{"viewed_within": ["sku-5", "4000"]}, true],
        [{"viewed_within": ["sku-2", 1e9]}, false],
        [{"viewed_within": [null, 60]}, false],
        [{"viewed_within": ["sku-1", "soon"]}, false],
        [{"viewed_category_within": ["shoes", 60]}, true],
        [{"viewed_category_within": [{"var": "item.category"}, 31]}, true],
        [{"viewed_category_within": ["hats", 60]}, false],
        [{"viewed_category_within": ["hats", 4000]}, true],
        [{"affinity": ["category", "shoes"]}, 0.8],
        [{"affinity": ["category", "home.garden"]}, 0.3],
        [{"affinity": ["brand", {"var": "item.brand"}]}, 1],
        [{"affinity": ["brand", "nobody"]}, 0],
        [{"affinity": ["color", "red"]}, 0],
        [{"affinity_above": ["category", "shoes", 0.5]}, true],
        [{"affinity_above": ["category", "shoes", 0.8]}, false],
        [{"affinity_above": ["item", "sku-1", {"var": "missing.threshold"}]}, false],
        [{"in_cart": ["sku-7"]}, true],
        [{"in_cart": ["sku-8"]}, false],
        [{"in_cart": [{"var": "item.id"}]}, false],
        [{"some": [{"var": "item.related"}, {"in_cart": [{"var": ""}]}]}, true],
        [{"filter": [{"var": "item.related"}, {"!": {"in_cart": [{"var": ""}]}}]}, ["sku-9"]],
        [{"purchased": ["sku-3"]}, true],
        [{"purchased": "sku-3"}, true],
        [{"purchased": ["sku-7"]}, false],
        [{"and": [{"viewed_within": ["sku-1", 300]}, {"!": {"purchased": [{"var": "item.id"}]}}]}, true]
    ]"#,
    );
    let data = json(SESSION);
    for row in table.as_array().unwrap_or(&[]) {
        let cells = row.as_array().unwrap_or(&[]);
        let [rule, want] = cells else { panic!("bad row {row:?}") };
        let got = eval_json(rule, &data);
        assert!(
            got.as_ref().is_ok_and(|g| values_equal(g, want)),
            "{} => {got:?}, want {}",
            to_json_string(rule),
            to_json_string(want)
        );
    }
    // Without any session, every merchant test is false/0.
    for rule in [r#"{"viewed_within": ["a", 9]}"#, r#"{"in_cart": ["a"]}"#, r#"{"purchased": ["a"]}"#] {
        assert_eq!(eval(rule, "{}"), Ok(Value::Bool(false)));
        assert_eq!(eval(rule, "null"), Ok(Value::Bool(false)));
    }
    assert_eq!(eval(r#"{"affinity": ["brand", "a"]}"#, "[]"), Ok(Value::Number(0.0)));
}

/// A scope that answers the merchant operators itself, as the engine's does.
struct Live;

impl Scope for Live {
    fn var(&self, _: &str) -> Option<std::borrow::Cow<'_, Value>> {
        None
    }
    fn in_cart(&self, item: &str) -> bool {
        item == "live-cart"
    }
    fn affinity(&self, kind: &str, key: &str) -> f64 {
        if kind == "brand" && key == "acme" {
            0.9
        } else {
            0.0
        }
    }
}

#[test]
fn merchant_operators_ask_the_scope() {
    let cond = |s: &str| Condition::compile(&json(s)).and_then(|c| c.eval(&Live));
    assert_eq!(cond(r#"{"in_cart": ["live-cart"]}"#), Ok(Value::Bool(true)));
    assert_eq!(cond(r#"{"affinity_above": ["brand", "acme", 0.5]}"#), Ok(Value::Bool(true)));
    // Inside an iteration body `var` reads the element, but the merchant
    // operators still ask the condition's scope.
    assert_eq!(cond(r#"{"some": [["x", "live-cart"], {"in_cart": [{"var": ""}]}]}"#), Ok(Value::Bool(true)));
}

#[test]
fn uses_item_is_detected() {
    let table = [
        (r#"{"==": [{"var": "item.brand"}, "acme"]}"#, true),
        (r#"{"in_cart": [{"var": "item.id"}]}"#, true),
        (r#"{"var": ""}"#, true),
        (r#"{"var": [{"cat": ["it", "em"]}]}"#, true),
        (r#"{"missing": ["item.price"]}"#, true),
        (r#"{"viewed_within": ["sku-1", 60]}"#, false),
        (r#"{">": [{"var": "session.cart.length"}, 2]}"#, false),
        (r#"{"==": [{"var": "items"}, 1]}"#, false),
        (r#"{"some": [{"var": "session.recent"}, {"==": [{"var": "item"}, "sku-1"]}]}"#, false),
        (r#"{"some": [{"var": "item.related"}, {"in_cart": [{"var": ""}]}]}"#, true),
    ];
    for (rule, want) in table {
        let c = Condition::compile(&json(rule));
        assert_eq!(c.map(|c| c.uses_item()), Ok(want), "{rule}");
    }
}

#[test]
fn substr_counts_utf16_code_units() {
    // Expected values are what json-logic-js 2.0.5 returns in Node.
    let table = [
        (r#"{"substr": ["héllo wörld", 1, 4]}"#, "éllo"),
        (r#"{"substr": ["日本語テキスト", -3]}"#, "キスト"),
        (r#"{"substr": ["日本語テキスト", 1, -2]}"#, "本語テキ"),
        (r#"{"substr": ["a😀b", 1, 2]}"#, "😀"),
        (r#"{"substr": ["a😀b", -1]}"#, "b"),
        (r#"{"substr": ["a😀b😀", 0, -2]}"#, "a😀b"),
        // A negative non-number length concatenates ("10" + "-2"), giving NaN, so "".
        (r#"{"substr": ["héllo wörld", 1, "-2"]}"#, ""),
        (r#"{"substr": ["jsonlogic", "4", "2"]}"#, "lo"),
        (r#"{"substr": ["jsonlogic", 2, null]}"#, ""),
        (r#"{"substr": [12345, 1, 2]}"#, "23"),
        (r#"{"substr": [null, 1]}"#, "ull"),
    ];
    for (rule, want) in table {
        assert_eq!(eval(rule, "null"), Ok(Value::from(want)), "{rule}");
    }
}

#[test]
fn javascript_semantics_details() {
    // [rule, data, result]; results checked against json-logic-js 2.0.5.
    let table = json(
        r#"[
        [{"+": ["12px", "3"]}, null, 15],
        [{"+": []}, null, 0],
        [{"*": ["2"]}, null, "2"],
        [{"-": ["5"]}, null, -5],
        [{"-": ["a", 1]}, null, null],
        [{"/": [1, 0]}, null, null],
        [{"%": [-7, 3]}, null, -1],
        [{"max": ["3", 2, [7]]}, null, 7],
        [{"min": [1, "x"]}, null, null],
        [{"==": [null, 0]}, null, false],
        [{"==": [[1], 1]}, null, true],
        [{"==": [[], false]}, null, true],
        [{"==": [{"var": "a"}, {"var": "a"}]}, {"a": [1]}, true],
        [{"===": [[1], [1]]}, null, false],
        [{"<": ["10", "9"]}, null, true],
        [{"<": [10, "9"]}, null, false],
        [{"<": [1, "x", 3]}, null, false],
        [{"<=": [null, 0]}, null, true],
        [{">": ["b", "a"]}, null, true],
        [{"cat": ["a", null, 1.5, true, [1, [2, null]], {"x": 1, "y": 2}]}, null, "a1.5true1,2,[object Object]"],
        [{"cat": [1e21, 0.0000001, -0]}, null, "1e+211e-70"],
        [{"in": [1, "a1b"]}, null, true],
        [{"in": ["", ""]}, null, false],
        [{"in": [1, ["1"]]}, null, false],
        [{"in": [1, 12]}, null, false],
        [{"merge": [1, [2, [3]], null]}, null, [1, 2, [3], null]],
        [{"var": "a.length"}, {"a": [1, 2, 3]}, 3],
        [{"var": "s.1"}, {"s": "xyz"}, "y"],
        [{"var": ["a", 5]}, {"a": null}, null],
        [{"var": ["a.b", 5]}, {"a": null}, 5],
        [{"var": 0}, [7], 7],
        [{"missing": ["a", "b", "c"]}, {"a": "", "b": 0, "c": null}, ["a", "c"]],
        [{"missing": ["a.0"]}, {"a": ["x"]}, []],
        [{"missing": ["a", ["b", 5], ["c"]]}, {"a": 1}, [["c"]]],
        [{"missing": [["a", ["b", ""]]]}, {"b": 1}, ["a"]],
        [{"missing_some": ["1", ["a", "b"]]}, {"a": 1}, []],
        [{"reduce": [[1, 2], {"var": ""}, 0]}, null, {"current": 2, "accumulator": {"current": 1, "accumulator": 0}}],
        [{"reduce": [5, {"var": "current"}, 9]}, null, 9],
        [{"reduce": [[1, 2, 3], {"var": "current"}]}, null, 3],
        [{"map": [{"var": "xs"}, {"var": "k"}]}, {"xs": [{"k": 1}, 2, {"j": 3}]}, [1, null, null]],
        [{"all": ["abc", true]}, null, false],
        [{"none": [null, true]}, null, true],
        [{"if": [{"missing": ["x"]}, "need x", "ok"]}, {"x": 0}, "ok"],
        [{"?:": [[], 1, 2]}, null, 2],
        [{"!!": ["0"]}, null, true],
        [{"and": [1, "", 2]}, null, ""],
        [{"or": [0, [], null]}, null, null],
        [{"log": [{"var": "a"}]}, {"a": [1]}, [1]],
        [{"a": 1, "b": 2}, null, {"a": 1, "b": 2}],
        [{}, null, {}],
        [[{"var": "a"}, {"b": 1, "c": {"var": "a"}}], {"a": 3}, [3, {"b": 1, "c": {"var": "a"}}]]
    ]"#,
    );
    for row in table.as_array().unwrap_or(&[]) {
        let cells = row.as_array().unwrap_or(&[]);
        let [rule, data, want] = cells else { panic!("bad row {row:?}") };
        let got = eval_json(rule, data);
        // NaN results are written `null` in the table (as JSON.stringify does).
        let got_json = got.as_ref().map(to_json_string);
        assert_eq!(got_json.as_deref(), Ok(to_json_string(want).as_str()), "{}", to_json_string(rule));
    }
}

#[test]
fn truthiness_and_matches() {
    for (text, want) in [("[]", false), ("[0]", true), ("\"0\"", true), ("\"\"", false), ("0", false), ("{}", true), ("null", false)] {
        assert_eq!(truthy(&json(text)), want, "{text}");
    }
    let c = Condition::compile(&json(r#"{"var": "a"}"#));
    let data = json(r#"{"a": [1]}"#);
    assert_eq!(c.as_ref().map(|c| c.matches(&data)), Ok(Ok(true)));
    assert_eq!(c.map(|c| c.matches(&Value::Null)), Ok(Ok(false)));
}

#[test]
fn never_panics_on_odd_rules() {
    // Every operator with arguments of every type: no panic, and each either
    // compiles and evaluates or reports an error.
    let ops = [
        "var", "missing", "missing_some", "if", "?:", "==", "===", "!=", "!==", "!", "!!", "or", "and", ">", ">=",
        "<", "<=", "max", "min", "+", "-", "*", "/", "%", "map", "filter", "reduce", "all", "none", "some", "merge",
        "in", "cat", "substr", "log", "viewed_within", "viewed_category_within", "affinity", "affinity_above",
        "in_cart", "purchased",
    ];
    let samples = [
        "null", "true", "0", "-1.5", "1e308", "\"\"", "\"a.b\"", "\"😀x\"", "[]", "[1,\"2\"]", "{}", "{\"a\":1,\"b\":2}",
        "{\"var\":\"a\"}",
    ];
    let data = json(SESSION);
    let mut ran = 0;
    for op in ops {
        for a in samples {
            for b in samples {
                for args in [format!("[{a}, {b}]"), format!("[{a}, {b}, {a}]"), a.to_string()] {
                    let rule = json(&format!("{{\"{op}\": {args}}}"));
                    if let Ok(c) = Condition::compile(&rule) {
                        let _ = c.eval(&data);
                        let _ = c.eval(&Value::Null);
                        ran += 1;
                    }
                }
            }
        }
    }
    assert!(ran > 3_000, "{ran}");
}
