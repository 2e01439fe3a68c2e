//! Negative cases: each a mutation of a doc example that DataX would reject (or a known
//! trap of its parameter formats), which must fail at the given JSON pointer.

use serde_json::json;

use super::{assert_rejected_at, assert_valid, at, mutated, remove};

#[test]
fn mysqlwriter_jdbc_url_must_be_a_string() {
    let pointer = "/job/content/0/writer/parameter/connection/0/jdbcUrl";
    let job = mutated("streamreader_to_mysqlwriter.json", |job| {
        let url = at(job, pointer).clone();
        *at(job, pointer) = json!([url]);
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn mysqlreader_jdbc_url_must_be_an_array() {
    let pointer = "/job/content/0/reader/parameter/connection/0/jdbcUrl";
    let job = mutated("mysqlreader_table_to_streamwriter.json", |job| {
        let url = at(job, &format!("{pointer}/0")).clone();
        *at(job, pointer) = url;
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn reader_connection_table_must_be_an_array() {
    let pointer = "/job/content/0/reader/parameter/connection/0/table";
    let job = mutated("oceanbasev10reader_table_to_streamwriter.json", |job| {
        *at(job, pointer) = json!("table");
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn hbase11xreader_table_must_be_a_single_string() {
    let pointer = "/job/content/0/reader/parameter/table";
    let job = mutated("hbase11xreader_normal_to_txtfilewriter.json", |job| {
        *at(job, pointer) = json!(["users"]);
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn hbase_config_needs_the_zookeeper_quorum() {
    let pointer = "/job/content/0/reader/parameter/hbaseConfig";
    let job = mutated("hbase11xreader_normal_to_txtfilewriter.json", |job| {
        remove(job, pointer, "hbase.zookeeper.quorum");
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn hbase_mode_is_normal_or_multi_version_fixed_column() {
    let pointer = "/job/content/0/reader/parameter/mode";
    let job = mutated("hbase11xreader_normal_to_txtfilewriter.json", |job| {
        *at(job, pointer) = json!("multiVersionDynamicColumn");
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn hbase_multi_version_mode_needs_max_version() {
    let job = mutated("hbase11xreader_normal_to_txtfilewriter.json", |job| {
        *at(job, "/job/content/0/reader/parameter/mode") = json!("multiVersionFixedColumn");
    });
    assert_rejected_at(&job, "/job/content/0/reader/parameter");
    let job = mutated("hbase11xreader_normal_to_txtfilewriter.json", |job| {
        let parameter = at(job, "/job/content/0/reader/parameter");
        parameter["mode"] = json!("multiVersionFixedColumn");
        parameter["maxVersion"] = json!("-1");
    });
    assert_valid(&job);
}

#[test]
fn hdfswriter_needs_a_field_delimiter() {
    let pointer = "/job/content/0/writer/parameter";
    let job = mutated("txtfilereader_to_hdfswriter_orc.json", |job| {
        remove(job, pointer, "fieldDelimiter");
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn hdfswriter_write_mode_is_append_non_conflict_or_truncate_in_any_case() {
    let pointer = "/job/content/0/writer/parameter/writeMode";
    let job = mutated("txtfilereader_to_hdfswriter_orc.json", |job| {
        *at(job, pointer) = json!("overwrite");
    });
    assert_rejected_at(&job, pointer);
    for mode in ["append", "nonConflict", "NONCONFLICT", "Truncate"] {
        let job = mutated("txtfilereader_to_hdfswriter_orc.json", |job| {
            *at(job, pointer) = json!(mode);
        });
        assert_valid(&job);
    }
}

#[test]
fn hdfswriter_file_type_is_text_orc_or_parquet_and_compress_fits_it() {
    let file_type = "/job/content/0/writer/parameter/fileType";
    let job = mutated("txtfilereader_to_hdfswriter_orc.json", |job| {
        *at(job, file_type) = json!("csv");
    });
    assert_rejected_at(&job, file_type);
    // ORC takes NONE or SNAPPY, not gzip.
    let compress = "/job/content/0/writer/parameter/compress";
    let job = mutated("txtfilereader_to_hdfswriter_orc.json", |job| {
        *at(job, compress) = json!("gzip");
    });
    assert_rejected_at(&job, compress);
    let job = mutated("txtfilereader_to_hdfswriter_orc.json", |job| {
        *at(job, file_type) = json!("TEXT");
        *at(job, compress) = json!("gzip");
    });
    assert_valid(&job);
}

#[test]
fn error_limit_percentage_is_at_most_one() {
    let pointer = "/job/setting/errorLimit/percentage";
    let job = mutated("mysqlreader_table_to_streamwriter.json", |job| {
        *at(job, pointer) = json!(1.5);
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn speed_channel_is_at_least_one() {
    let pointer = "/job/setting/speed/channel";
    let job = mutated("core_job_streamreader_to_streamwriter.json", |job| {
        *at(job, pointer) = json!(0);
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn misspelt_key_in_job_setting_is_rejected() {
    let job = mutated("core_job_streamreader_to_streamwriter.json", |job| {
        let setting = at(job, "/job/setting").as_object_mut().expect("an object");
        let limit = setting.remove("errorLimit").expect("errorLimit is set");
        setting.insert("errorlimit".to_owned(), limit);
    });
    assert_rejected_at(&job, "/job/setting");
}

#[test]
fn channel_directly_under_job_setting_is_rejected() {
    // The oceanbasev10reader doc's querySql example does this; DataX then finds no speed.
    let job = mutated("core_job_streamreader_to_streamwriter.json", |job| {
        let setting = at(job, "/job/setting").as_object_mut().expect("an object");
        setting.remove("speed");
        setting.insert("channel".to_owned(), json!(2));
    });
    assert_rejected_at(&job, "/job/setting");
}

#[test]
fn reader_plugin_cannot_be_the_writer() {
    let job = mutated("core_job_streamreader_to_streamwriter.json", |job| {
        let reader = at(job, "/job/content/0/reader").clone();
        *at(job, "/job/content/0/writer") = reader;
    });
    assert_rejected_at(&job, "/job/content/0/writer/name");
}

#[test]
fn writer_plugin_cannot_be_the_reader() {
    let job = mutated("core_job_streamreader_to_streamwriter.json", |job| {
        let writer = at(job, "/job/content/0/writer").clone();
        *at(job, "/job/content/0/reader") = writer;
    });
    assert_rejected_at(&job, "/job/content/0/reader/name");
}

#[test]
fn relational_reader_connection_needs_table_or_query_sql() {
    let pointer = "/job/content/0/reader/parameter/connection/0";
    let job = mutated("mysqlreader_querysql_to_streamwriter.json", |job| {
        remove(job, pointer, "querySql");
    });
    assert_rejected_at(&job, pointer);
    // Both at once is an error in DataX too (a column list keeps table mode's rule out).
    let job = mutated("mysqlreader_querysql_to_streamwriter.json", |job| {
        at(job, pointer)["table"] = json!(["db_info"]);
        at(job, "/job/content/0/reader/parameter")["column"] = json!(["db_id"]);
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn relational_reader_in_table_mode_needs_columns() {
    let pointer = "/job/content/0/reader/parameter";
    let job = mutated("oraclereader_table_to_streamwriter.commented.json", |job| {
        remove(job, pointer, "column");
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn mysqlreader_has_no_fetch_size() {
    let pointer = "/job/content/0/reader/parameter";
    let job = mutated("mysqlreader_table_to_streamwriter.json", |job| {
        at(job, pointer)["fetchSize"] = json!(500);
    });
    assert_rejected_at(&job, pointer);
    // oraclereader has one.
    let job = mutated("oraclereader_table_to_streamwriter.commented.json", |job| {
        at(job, pointer)["fetchSize"] = json!(500);
    });
    assert_valid(&job);
}

#[test]
fn ftpreader_protocol_is_ftp_or_sftp() {
    let pointer = "/job/content/0/reader/parameter/protocol";
    let job = mutated("ftpreader_sftp_to_ftpwriter.json", |job| {
        *at(job, pointer) = json!("scp");
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn ftpreader_path_is_an_array() {
    let pointer = "/job/content/0/reader/parameter/path";
    let job = mutated("ftpreader_sftp_to_ftpwriter.json", |job| {
        let path = at(job, &format!("{pointer}/0")).clone();
        *at(job, pointer) = path;
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn file_reader_column_has_index_or_value_not_both() {
    let pointer = "/job/content/0/reader/parameter/column/2";
    let job = mutated("hdfsreader_orc_to_streamwriter.json", |job| {
        at(job, pointer)["index"] = json!(2);
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn streamwriter_rejects_unknown_keys() {
    let pointer = "/job/content/0/writer/parameter";
    let job = mutated("hdfsreader_orc_to_streamwriter.json", |job| {
        let parameter = at(job, pointer).as_object_mut().expect("an object");
        let print = parameter.remove("print").expect("print is set");
        parameter.insert("prnt".to_owned(), print);
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn other_plugins_only_need_an_object_parameter() {
    // txtfilewriter is not described in detail: any object passes, anything else fails.
    let pointer = "/job/content/0/writer/parameter";
    let job = mutated("hbase11xreader_normal_to_txtfilewriter.json", |job| {
        at(job, pointer)["anything"] = json!({"goes": true});
    });
    assert_valid(&job);
    let job = mutated("hbase11xreader_normal_to_txtfilewriter.json", |job| {
        *at(job, pointer) = json!("path");
    });
    assert_rejected_at(&job, pointer);
}
