//! The JSON exchange format: `{"forms": [...]}`.

use crate::ReadError;
use jixiao_core::Form;
use serde::Deserialize;

#[derive(Deserialize)]
struct Exchange {
    forms: Vec<Form>,
}

/// Reads the exchange format and checks each form the way the text reader would.
pub fn read_json(text: &str) -> Result<Vec<Form>, ReadError> {
    let ex: Exchange = serde_json::from_str(text).map_err(json_error)?;
    for (i, f) in ex.forms.iter().enumerate() {
        check(i + 1, f)?;
    }
    Ok(ex.forms)
}

fn json_error(e: serde_json::Error) -> ReadError {
    ReadError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    }
}

/// Reads the exchange format from a reader form by form, handing each (checked) form to
/// `each` as soon as it is read, so memory holds one form whatever the file's size (a
/// national year of forms is gigabytes of JSON). Returns how many forms were read. An error
/// of `each` stops the reading and is returned as the reading's error.
pub fn read_json_stream<R: std::io::Read>(
    reader: R,
    each: impl FnMut(Form) -> Result<(), String>,
) -> Result<usize, ReadError> {
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    struct Forms<F>(F, usize, Option<String>);
    impl<'de, F: FnMut(Form) -> Result<(), String>> Visitor<'de> for &mut Forms<F> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an array of forms")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(form) = seq.next_element::<Form>()? {
                self.1 += 1;
                let outcome = check(self.1, &form)
                    .map_err(|e| e.to_string())
                    .and_then(|()| (self.0)(form));
                if let Err(message) = outcome {
                    self.2 = Some(message.clone());
                    return Err(serde::de::Error::custom(message));
                }
            }
            Ok(())
        }
    }
    impl<'de, F: FnMut(Form) -> Result<(), String>> DeserializeSeed<'de> for &mut Forms<F> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    struct Top<'a, F>(&'a mut Forms<F>, bool);
    impl<'de, F: FnMut(Form) -> Result<(), String>> Visitor<'de> for &mut Top<'_, F> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(r#"{"forms": [...]}"#)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<String>()? {
                if key == "forms" {
                    map.next_value_seed(&mut *self.0)?;
                    self.1 = true;
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(())
        }
    }

    let mut forms = Forms(each, 0, None);
    let mut top = Top(&mut forms, false);
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
    let read = de.deserialize_map(&mut top).and_then(|()| de.end());
    let found = top.1;
    if let Err(e) = read {
        // A form refused by the check or by `each` is reported as itself, not as JSON syntax.
        return Err(match forms.2.take() {
            Some(message) => ReadError::InvalidForm {
                index: forms.1,
                message,
            },
            None => json_error(e),
        });
    }
    if !found {
        return Err(ReadError::Json {
            line: 1,
            column: 1,
            message: "missing field `forms`".into(),
        });
    }
    Ok(forms.1)
}

/// The checks of one form of the exchange format (the `index`th, from 1).
fn check(index: usize, f: &Form) -> Result<(), ReadError> {
    let bad = |message: String| ReadError::InvalidForm { index, message };
    let ids =
        f.id.iter()
            .chain(f.indicators.iter().filter_map(|i| i.id.as_ref()));
    for id in ids {
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(bad(format!(
                "ID“{id}”只能由字母、数字、- 和 _ 组成，最长 64 位 / the ID “{id}” may hold only letters, digits, - and _, at most 64"
            )));
        }
    }
    if f.name.trim().is_empty() {
        return Err(bad("项目名称为空 / the project name is empty".into()));
    }
    if !(1900..=2200).contains(&f.year) {
        return Err(bad(format!(
            "年度 {} 不合理 / the year {} is implausible",
            f.year, f.year
        )));
    }
    if f.indicators.is_empty() {
        return Err(bad(format!(
            "“{}”没有指标 / “{}” has no indicators",
            f.name, f.name
        )));
    }
    for (j, ind) in f.indicators.iter().enumerate() {
        if ind.name.trim().is_empty() {
            return Err(bad(format!(
                "第{}个指标没有名称 / indicator {} has no name",
                j + 1,
                j + 1
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form_json(id: &str) -> String {
        format!(
            r#"{{"forms":[{{"id":"{id}","year":2023,"name":"x","nature":"","category":"","department":"","implementer":"",
            "start_date":null,"end_date":null,"funds":{{"total":null,"fiscal":null,"other":null,"annual_total":null,
            "annual_appropriation":null,"annual_carryover":null,"annual_other":null}},"goal_overall":"","goal_annual":"",
            "indicators":[{{"id":null,"level1":"产出指标","level2":"数量指标","name":"a","target":{{"kind":"qualitative","text":"完善"}},"raw":"完善"}}]}}]}}"#
        )
    }

    #[test]
    fn the_stream_reads_what_the_whole_reads_and_stops_at_a_bad_form() {
        let one = form_json("a1");
        let whole = read_json(&one).unwrap();
        let mut seen = vec![];
        let n = read_json_stream(one.as_bytes(), |f| {
            seen.push(f);
            Ok(())
        })
        .unwrap();
        assert_eq!((n, seen), (1, whole));
        // Three forms, the second with a bad ID: the first was handed over, the error names
        // the second, the third is never read.
        let body = |id: &str| {
            let j = form_json(id);
            j[j.find('[').unwrap() + 1..j.rfind(']').unwrap()].to_string()
        };
        let three = format!(
            r#"{{"version": 1, "forms": [{}, {}, {}]}}"#,
            body("a"),
            body("b c"),
            body("d")
        );
        let mut count = 0;
        let e = read_json_stream(three.as_bytes(), |_| {
            count += 1;
            Ok(())
        })
        .unwrap_err();
        assert_eq!(count, 1);
        assert!(matches!(e, ReadError::InvalidForm { index: 2, .. }), "{e}");
        // The callback's refusal stops the reading too.
        let e = read_json_stream(three.replace("b c", "b").as_bytes(), |_| {
            Err("满了 / full".into())
        })
        .unwrap_err();
        assert!(e.to_string().contains("满了"), "{e}");
        // Not JSON, or no forms at all.
        assert!(matches!(
            read_json_stream(&b"{\"forms\": [1"[..], |_| Ok(())),
            Err(ReadError::Json { .. })
        ));
        assert!(read_json_stream(&b"{}"[..], |_| Ok(())).is_err());
    }

    #[test]
    fn ids_are_plain_ascii() {
        assert!(read_json(&form_json("0123abcd-ef_9")).is_ok());
        for bad in ["申报表一", "", "a b", "x/../y"] {
            let e = read_json(&form_json(bad)).unwrap_err();
            assert!(e.to_string().contains("ID"), "{bad}: {e}");
        }
    }
}
