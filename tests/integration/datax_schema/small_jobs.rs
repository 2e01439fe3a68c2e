//! Small jobs for what the doc examples do not cover: readers without a doc example,
//! flowc's placeholders, byte speed limits, write modes, Kerberos, column types.

use serde_json::{Value, json};

use super::{assert_rejected_at, assert_valid, at, example, mutated};

/// A job reading with `reader`'s parameters into a printing streamwriter.
fn job_reading(reader: &str, parameter: &Value) -> Value {
    json!({
        "job": {
            "setting": { "speed": { "channel": 2 } },
            "content": [{
                "reader": { "name": reader, "parameter": parameter },
                "writer": { "name": "streamwriter", "parameter": { "print": true } }
            }]
        }
    })
}

#[test]
fn hbase20xsqlreader_needs_table_and_split_key_unless_it_has_query_sql() {
    let table_mode = json!({
        "queryServerAddress": "http://phoenix-qs:8765",
        "serialization": "PROTOBUF",
        "schema": "ODS",
        "table": "ORDERS",
        "column": ["ID", "AMOUNT"],
        "splitKey": "ID",
        "splitPoint": [1000, 2000],
        "where": "DT = '${bizdate}'"
    });
    assert_valid(&job_reading("hbase20xsqlreader", &table_mode));
    let query_mode = json!({
        "queryServerAddress": "http://phoenix-qs:8765",
        "querySql": ["SELECT ID FROM ORDERS"]
    });
    assert_valid(&job_reading("hbase20xsqlreader", &query_mode));

    let mut no_split_key = table_mode.clone();
    no_split_key.as_object_mut().expect("an object").remove("splitKey");
    assert_rejected_at(
        &job_reading("hbase20xsqlreader", &no_split_key),
        "/job/content/0/reader/parameter",
    );
    let mut no_address = table_mode;
    no_address
        .as_object_mut()
        .expect("an object")
        .remove("queryServerAddress");
    assert_rejected_at(
        &job_reading("hbase20xsqlreader", &no_address),
        "/job/content/0/reader/parameter",
    );
}

#[test]
fn flowc_placeholders_pass_as_plain_strings() {
    let job = job_reading(
        "oraclereader",
        &json!({
            "username": "${env:CORE_ORACLE_USER}",
            "password": "${env:CORE_ORACLE_PASSWORD}",
            "column": ["ID", "AMOUNT"],
            "where": "GMT_CREATE >= TO_DATE('${bizdate}', 'YYYYMMDD')",
            "connection": [{ "table": ["ORDERS"], "jdbcUrl": ["jdbc:oracle:thin:@db:1521:CORE"] }]
        }),
    );
    assert_valid(&job);
    let job = mutated("txtfilereader_to_hdfswriter_orc.json", |job| {
        *at(job, "/job/content/0/writer/parameter/path") = json!("/user/hive/warehouse/ods.db/orders/dt=${bizdate}");
    });
    assert_valid(&job);
}

#[test]
fn byte_speed_with_per_channel_limit_in_core() {
    let mut job = example("oraclereader_table_to_streamwriter.commented.json");
    job["core"] = json!({ "transport": { "channel": { "speed": { "byte": 1_048_576 } } } });
    assert_valid(&job);
    job["core"]["transport"]["channel"]["speed"]["byte"] = json!("1M");
    assert_rejected_at(&job, "/core/transport/channel/speed/byte");
}

#[test]
fn job_needs_speed_settings() {
    let job = mutated("core_job_streamreader_to_streamwriter.json", |job| {
        *at(job, "/job/setting/speed") = json!({});
    });
    assert_rejected_at(&job, "/job/setting/speed");
}

#[test]
fn mysqlwriter_write_mode_is_insert_replace_or_update() {
    let pointer = "/job/content/0/writer/parameter/writeMode";
    for mode in ["ignore", "update (id)", "upsert"] {
        let job = mutated("streamreader_to_mysqlwriter.json", |job| {
            *at(job, pointer) = json!(mode);
        });
        assert_rejected_at(&job, pointer);
    }
    for mode in ["replace", "update", "INSERT"] {
        let job = mutated("streamreader_to_mysqlwriter.json", |job| {
            *at(job, pointer) = json!(mode);
        });
        assert_valid(&job);
    }
}

#[test]
fn kerberos_needs_keytab_and_principal() {
    let pointer = "/job/content/0/reader/parameter";
    let job = mutated("hdfsreader_orc_to_streamwriter.json", |job| {
        at(job, pointer)["haveKerberos"] = json!(true);
    });
    assert_rejected_at(&job, pointer);
    let job = mutated("hdfsreader_orc_to_streamwriter.json", |job| {
        let parameter = at(job, pointer);
        parameter["haveKerberos"] = json!(true);
        parameter["kerberosKeytabFilePath"] = json!("/etc/security/keytabs/datax.keytab");
        parameter["kerberosPrincipal"] = json!("datax@EXAMPLE.COM");
    });
    assert_valid(&job);
}

#[test]
fn streamreader_spells_boolean_bool() {
    // ftpreader and hdfsreader say `boolean`; streamreader only knows `bool`.
    let pointer = "/job/content/0/reader/parameter/column/3/type";
    let job = mutated("core_job_streamreader_to_streamwriter.json", |job| {
        *at(job, pointer) = json!("boolean");
    });
    assert_rejected_at(&job, pointer);
}
