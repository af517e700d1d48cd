//! The workbook's other parts: shared strings, content types,
//! relationships, document properties, styles and `xl/workbook.xml`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;

use super::deflate::Deflater;
use super::sheet::push_range;
use super::text::push_escaped;
use super::{CHUNK, MAX_CELL_CHARS, NS_MAIN, NS_REL, Sheet, XML_DECLARATION};

/// The shared strings table being built: each distinct text once, in
/// order of first use.
#[derive(Default)]
pub(super) struct SharedStrings<'a> {
    index: HashMap<Cow<'a, str>, usize>,
    texts: Vec<Cow<'a, str>>,
    /// Cells that refer to the table.
    uses: usize,
}

impl<'a> SharedStrings<'a> {
    /// The index of `text`, added if new.
    pub(super) fn index(&mut self, text: Cow<'a, str>) -> usize {
        self.uses += 1;
        if let Some(&index) = self.index.get(text.as_ref()) {
            return index;
        }
        let index = self.texts.len();
        self.texts.push(text.clone());
        self.index.insert(text, index);
        index
    }

    /// Writes `xl/sharedStrings.xml` to `out`.
    pub(super) fn write_xml(&self, out: &mut Deflater) {
        let mut xml = String::with_capacity(CHUNK + 4 * MAX_CELL_CHARS);
        xml.push_str(XML_DECLARATION);
        let _ = write!(
            xml,
            "<sst xmlns=\"{NS_MAIN}\" count=\"{}\" uniqueCount=\"{}\">",
            self.uses,
            self.texts.len()
        );
        for text in &self.texts {
            let padded =
                text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace);
            xml.push_str(if padded {
                "<si><t xml:space=\"preserve\">"
            } else {
                "<si><t>"
            });
            push_escaped(&mut xml, text, true);
            xml.push_str("</t></si>");
            if xml.len() >= CHUNK {
                out.write(xml.as_bytes());
                xml.clear();
            }
        }
        xml.push_str("</sst>");
        out.write(xml.as_bytes());
    }
}

/// `[Content_Types].xml`.
pub(super) fn content_types(sheets: usize, has_text: bool) -> String {
    let mut xml = String::with_capacity(1024 + sheets * 160);
    xml.push_str(XML_DECLARATION);
    xml.push_str(
        "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" \
         ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Override PartName=\"/xl/workbook.xml\" \
         ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>",
    );
    for number in 1..=sheets {
        let _ = write!(
            xml,
            "<Override PartName=\"/xl/worksheets/sheet{number}.xml\" \
             ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        );
    }
    xml.push_str(
        "<Override PartName=\"/xl/styles.xml\" \
         ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>",
    );
    if has_text {
        xml.push_str(
            "<Override PartName=\"/xl/sharedStrings.xml\" \
             ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/>",
        );
    }
    xml.push_str(
        "<Override PartName=\"/docProps/core.xml\" \
         ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
         <Override PartName=\"/docProps/app.xml\" \
         ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>\
         </Types>",
    );
    xml
}

/// `_rels/.rels`: the package's parts.
pub(super) const ROOT_RELS: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" ",
    "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" ",
    "Target=\"xl/workbook.xml\"/>",
    "<Relationship Id=\"rId2\" ",
    "Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" ",
    "Target=\"docProps/core.xml\"/>",
    "<Relationship Id=\"rId3\" ",
    "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" ",
    "Target=\"docProps/app.xml\"/>",
    "</Relationships>",
);

/// `docProps/app.xml`: the application that wrote the file.
pub(super) const APP_XML: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\" ",
    "xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\">",
    "<Application>Bantong</Application></Properties>",
);

/// `docProps/core.xml`: the author, and no dates (they would make the
/// output differ from one run to the next).
pub(super) const CORE_XML: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<cp:coreProperties ",
    "xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" ",
    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" ",
    "xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" ",
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">",
    "<dc:creator>Bantong</dc:creator></cp:coreProperties>",
);

/// `xl/styles.xml`. The `cellXfs` are, by index: 0 default, 1 bold
/// ([`STYLE_BOLD`](super::STYLE_BOLD)), 2 `yyyy-mm-dd hh:mm`
/// ([`STYLE_DATE`](super::STYLE_DATE)), 3 `0.0%`
/// ([`STYLE_PERCENT`](super::STYLE_PERCENT)).
pub(super) const STYLES_XML: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">",
    "<numFmts count=\"2\">",
    "<numFmt numFmtId=\"164\" formatCode=\"yyyy-mm-dd hh:mm\"/>",
    "<numFmt numFmtId=\"165\" formatCode=\"0.0%\"/>",
    "</numFmts>",
    "<fonts count=\"2\">",
    "<font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>",
    "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>",
    "</fonts>",
    "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>",
    "<fill><patternFill patternType=\"gray125\"/></fill></fills>",
    "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>",
    "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>",
    "<cellXfs count=\"4\">",
    "<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>",
    "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>",
    "<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>",
    "<xf numFmtId=\"165\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>",
    "</cellXfs>",
    "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>",
    "</styleSheet>",
);

/// `xl/workbook.xml`: the sheets, and the hidden name Excel keeps for each
/// autofilter.
pub(super) fn workbook_xml(sheets: &[Sheet]) -> String {
    let mut xml = String::with_capacity(512 + sheets.len() * 128);
    xml.push_str(XML_DECLARATION);
    let _ = write!(
        xml,
        "<workbook xmlns=\"{NS_MAIN}\" xmlns:r=\"{NS_REL}\">\
         <bookViews><workbookView activeTab=\"0\"/></bookViews><sheets>"
    );
    for (index, sheet) in sheets.iter().enumerate() {
        xml.push_str("<sheet name=\"");
        push_escaped(&mut xml, &sheet.name, false);
        let _ = write!(
            xml,
            "\" sheetId=\"{number}\" r:id=\"rId{number}\"/>",
            number = index + 1
        );
    }
    xml.push_str("</sheets>");
    let mut names = String::new();
    for (index, sheet) in sheets.iter().enumerate() {
        if let Some(range) = sheet.filter_range() {
            let _ = write!(
                names,
                "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"{index}\" hidden=\"1\">'"
            );
            push_escaped(&mut names, &sheet.name.replace('\'', "''"), false);
            names.push_str("'!");
            push_range(&mut names, range, true);
            names.push_str("</definedName>");
        }
    }
    if !names.is_empty() {
        xml.push_str("<definedNames>");
        xml.push_str(&names);
        xml.push_str("</definedNames>");
    }
    xml.push_str("</workbook>");
    xml
}

/// `xl/_rels/workbook.xml.rels`: `rId1` … for the sheets, then styles and
/// shared strings.
pub(super) fn workbook_rels(sheets: usize, has_text: bool) -> String {
    const REL_TYPE: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let mut xml = String::with_capacity(512 + sheets * 160);
    xml.push_str(XML_DECLARATION);
    xml.push_str(
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    );
    for number in 1..=sheets {
        let _ = write!(
            xml,
            "<Relationship Id=\"rId{number}\" Type=\"{REL_TYPE}/worksheet\" \
             Target=\"worksheets/sheet{number}.xml\"/>"
        );
    }
    let _ = write!(
        xml,
        "<Relationship Id=\"rId{}\" Type=\"{REL_TYPE}/styles\" Target=\"styles.xml\"/>",
        sheets + 1
    );
    if has_text {
        let _ = write!(
            xml,
            "<Relationship Id=\"rId{}\" Type=\"{REL_TYPE}/sharedStrings\" \
             Target=\"sharedStrings.xml\"/>",
            sheets + 2
        );
    }
    xml.push_str("</Relationships>");
    xml
}
