{#- Custom schemas are used verbatim (stg, int, marts), not prefixed with the target schema:
    the migrations create `marts` and grant it to the analytics role under that exact name. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
