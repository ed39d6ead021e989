#!/usr/bin/env python3
# Writes the hostile workbooks of issue 9 (see README.md) into the folder given, from the
# repository root:  python3 fuzz/make_hostile_corpus.py fuzz/corpus/roster_file
# (zip timestamps differ from run to run: regenerate only the files you change).
import zipfile, struct, sys, os
out = sys.argv[1]
os.makedirs(out, exist_ok=True)

def xlsx(name, cells, dim='A1'):
    sheet = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="' + dim + '"/><sheetData>' + cells + '</sheetData></worksheet>'
    with zipfile.ZipFile(os.path.join(out, name), 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml', '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr('_rels/.rels', '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr('xl/workbook.xml', '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr('xl/_rels/workbook.xml.rels', '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr('xl/worksheets/sheet1.xml', sheet)

def ods(name, rows):
    with zipfile.ZipFile(os.path.join(out, name), 'w') as z:
        z.writestr(zipfile.ZipInfo('mimetype'), 'application/vnd.oasis.opendocument.spreadsheet', compress_type=zipfile.ZIP_STORED)
        z.writestr('META-INF/manifest.xml', '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>', compress_type=zipfile.ZIP_DEFLATED)
        z.writestr('content.xml', '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Feuille1"><table:table-row><table:table-cell office:value-type="string"><text:p>Nom</text:p></table:table-cell></table:table-row>' + rows + '</table:table></office:spreadsheet></office:body></office:document-content>', compress_type=zipfile.ZIP_DEFLATED)

NOM = '<c r="A1" t="inlineStr"><is><t>Nom</t></is></c>'
xlsx('hostile-xfd1048576.xlsx', '<row r="1">' + NOM + '</row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')
xlsx('hostile-xfd1000.xlsx', '<row r="1">' + NOM + '</row><row r="1000"><c r="XFD1000"><v>1</v></c></row>')
xlsx('lying-dimension.xlsx', '<row r="1">' + NOM + '</row>', 'A1:XFD1048576')
ods('hostile-repeated.ods', '<table:table-row table:number-rows-repeated="1000"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="16384"/></table:table-row>')
ods('hostile-after-empty-rows.ods', '<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="900"/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated="900"/><table:table-cell office:value-type="float" office:value="1"/></table:table-row>')
ods('hostile-spaces.ods', '<table:table-row><table:table-cell office:value-type="string"><text:p><text:s text:c="100000000"/></text:p></table:table-cell></table:table-row>')
ods('libreoffice-empty-tail.ods', '<table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>')

d = bytearray(open('tests/fixtures/roster-92-hr-export.xls','rb').read())
def patch(typ, ln, f, name):
    b = bytearray(d)
    at = b.find(struct.pack('<HH', typ, ln))
    f(b, at + 4)
    open(os.path.join(out, name), 'wb').write(b)
def far(b, at):
    b[at:at+2] = struct.pack('<H', 0xFFFF); b[at+2:at+4] = struct.pack('<H', 0x3FFF)
def dims(b, at):
    b[at+4:at+8] = struct.pack('<I', 0xFFFFFFFF); b[at+10:at+12] = struct.pack('<H', 0x4000)
patch(0x00FD, 10, far, 'hostile-far-label.xls')
patch(0x0200, 14, dims, 'hostile-dimensions.xls')

def xlsx_parts(name, sheet_cells, shared=None):
    sheet = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + sheet_cells + '</sheetData></worksheet>'
    with zipfile.ZipFile(os.path.join(out, name), 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr('[Content_Types].xml', '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr('_rels/.rels', '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr('xl/workbook.xml', '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr('xl/_rels/workbook.xml.rels', '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        if shared is not None:
            z.writestr('xl/sharedStrings.xml', shared)
        z.writestr('xl/worksheets/sheet1.xml', sheet)

# 5,000,000 one-letter shared strings (85 MB inflated, 200 KB in the file).
xlsx_parts('hostile-shared-strings.xlsx', '<row r="1">' + NOM + '</row>',
           '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + '<si><t>a</t></si>' * 5000000 + '</sst>')
# One inline string of 120,000,000 characters.
xlsx_parts('hostile-long-string.xlsx', '<row r="1">' + NOM + '<c r="B1" t="inlineStr"><is><t>' + 'a' * 120000000 + '</t></is></c></row>')
