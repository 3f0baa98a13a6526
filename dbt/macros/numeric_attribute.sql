{#- A number kept in a jsonb attributes object, as double precision; null when absent or not numeric
    (a JSON number, or a string holding one), so one malformed entry cannot break the build. -#}
{% macro numeric_attribute(attributes, key) -%}
    case
        when ({{ attributes }} ->> '{{ key }}') ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$'
            then ({{ attributes }} ->> '{{ key }}')::double precision
    end
{%- endmacro %}
